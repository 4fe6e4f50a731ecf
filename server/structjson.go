package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/structpb"
)

// maxJSONDepth is encoding/json's nesting limit, kept so that both decoders refuse the same input.
const maxJSONDepth = 10000

// errJSONDepth is returned for JSON nested deeper than maxJSONDepth.
var errJSONDepth = errors.New("exceeded max depth")

// jsonToValue decodes one JSON value straight into a google.protobuf.Value: the result (or the
// refusal) is that of json.Unmarshal into an any followed by structpb.NewValue, without building the
// intermediate map[string]any tree. Numbers become float64 (a number out of its range is an error, as
// in encoding/json); a later duplicate key wins; invalid UTF-8 in strings becomes U+FFFD. An empty
// input is a null value (an answer without data).
func jsonToValue(b []byte) (*structpb.Value, error) {
	if len(b) == 0 {
		return structpb.NewNullValue(), nil
	}
	d := jsonDecoder{b: b, s: string(b)}
	v, err := d.value(0)
	if err == nil {
		d.space()
		if d.i != len(d.b) {
			err = d.syntax("after top-level value")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("decode JSON: %w", referenceError(b, err))
	}
	return v, nil
}

// referenceError returns encoding/json's error for b (a *json.SyntaxError or
// *json.UnmarshalTypeError, which the error mapping recognises as a malformed upstream answer),
// or err when encoding/json has none.
func referenceError(b []byte, err error) error {
	var v any
	if refErr := json.Unmarshal(b, &v); refErr != nil {
		return refErr
	}
	return err
}

// jsonDecoder is a recursive-descent JSON parser over one buffer. It allocates values in batches,
// and plain strings are substrings of one copy of the input, s: a 1 KiB answer of a few dozen
// values then costs a handful of allocations besides the maps.
type jsonDecoder struct {
	b []byte
	s string // the input, copied once
	i int

	vals []structpb.Value
	strs []structpb.Value_StringValue
	nums []structpb.Value_NumberValue
}

// batch is how many values of a kind are allocated at once.
const batch = 16

// take returns the next element of a batch, allocating a new batch when it is used up.
func take[T any](pool *[]T) *T {
	if len(*pool) == 0 {
		*pool = make([]T, batch)
	}
	v := &(*pool)[0]
	*pool = (*pool)[1:]
	return v
}

func (d *jsonDecoder) newValue() *structpb.Value { return take(&d.vals) }

func (d *jsonDecoder) stringValue(s string) *structpb.Value {
	k := take(&d.strs)
	k.StringValue = s
	v := take(&d.vals)
	v.Kind = k
	return v
}

func (d *jsonDecoder) numberValue(f float64) *structpb.Value {
	k := take(&d.nums)
	k.NumberValue = f
	v := take(&d.vals)
	v.Kind = k
	return v
}

func (d *jsonDecoder) syntax(where string) error {
	if d.i >= len(d.b) {
		return fmt.Errorf("unexpected end of JSON input %s", where)
	}
	return fmt.Errorf("invalid character %q at offset %d %s", d.b[d.i], d.i, where)
}

func (d *jsonDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (*structpb.Value, error) {
	d.space()
	if d.i >= len(d.b) {
		return nil, d.syntax("looking for a value")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		if depth >= maxJSONDepth {
			return nil, errJSONDepth
		}
		s, err := d.object(depth + 1)
		if err != nil {
			return nil, err
		}
		v := d.newValue()
		v.Kind = &structpb.Value_StructValue{StructValue: s}
		return v, nil
	case c == '[':
		if depth >= maxJSONDepth {
			return nil, errJSONDepth
		}
		l, err := d.array(depth + 1)
		if err != nil {
			return nil, err
		}
		v := d.newValue()
		v.Kind = &structpb.Value_ListValue{ListValue: l}
		return v, nil
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return d.stringValue(s), nil
	case c == '-' || (c >= '0' && c <= '9'):
		f, err := d.number()
		if err != nil {
			return nil, err
		}
		return d.numberValue(f), nil
	case c == 't':
		if err := d.literal("true"); err != nil {
			return nil, err
		}
		return &structpb.Value{Kind: &structpb.Value_BoolValue{BoolValue: true}}, nil
	case c == 'f':
		if err := d.literal("false"); err != nil {
			return nil, err
		}
		return &structpb.Value{Kind: &structpb.Value_BoolValue{BoolValue: false}}, nil
	case c == 'n':
		if err := d.literal("null"); err != nil {
			return nil, err
		}
		return &structpb.Value{Kind: &structpb.Value_NullValue{}}, nil
	}
	return nil, d.syntax("looking for a value")
}

func (d *jsonDecoder) literal(lit string) error {
	if len(d.b)-d.i < len(lit) || string(d.b[d.i:d.i+len(lit)]) != lit {
		return d.syntax("in literal " + lit)
	}
	d.i += len(lit)
	return nil
}

// object parses {...} at d.i.
func (d *jsonDecoder) object(depth int) (*structpb.Struct, error) {
	d.i++ // {
	s := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return s, nil
	}
	for {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, d.syntax("looking for an object key")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, d.syntax("after object key")
		}
		d.i++
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		s.Fields[k] = v
		d.space()
		if d.i >= len(d.b) {
			return nil, d.syntax("after object value")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return s, nil
		default:
			return nil, d.syntax("after object value")
		}
	}
}

// array parses [...] at d.i.
func (d *jsonDecoder) array(depth int) (*structpb.ListValue, error) {
	d.i++ // [
	l := &structpb.ListValue{}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return l, nil
	}
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		l.Values = append(l.Values, v)
		d.space()
		if d.i >= len(d.b) {
			return nil, d.syntax("after array element")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return l, nil
		default:
			return nil, d.syntax("after array element")
		}
	}
}

// str parses a string at d.i. Plain strings (no escape, valid UTF-8) are sliced; the others go
// through encoding/json, which unescapes them and replaces invalid UTF-8 as json.Unmarshal does.
func (d *jsonDecoder) str() (string, error) {
	start := d.i
	d.i++ // "
	ascii := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if ascii || utf8.Valid(d.b[start+1:d.i-1]) {
				return d.s[start+1 : d.i-1], nil
			}
			return d.slowString(start)
		case c == '\\':
			return d.escapedString(start)
		case c < 0x20:
			return "", d.syntax("in string literal")
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return "", d.syntax("in string literal")
}

// escapedString finds the end of a string with escapes that starts at start, d.i being at a backslash.
func (d *jsonDecoder) escapedString(start int) (string, error) {
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '\\':
			d.i++
			if d.i >= len(d.b) {
				return "", d.syntax("in string escape code")
			}
			switch d.b[d.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i++
			case 'u':
				d.i++
				for range 4 {
					if d.i >= len(d.b) || !isHex(d.b[d.i]) {
						return "", d.syntax("in \\u hexadecimal character escape")
					}
					d.i++
				}
			default:
				return "", d.syntax("in string escape code")
			}
		case c == '"':
			d.i++
			return d.slowString(start)
		case c < 0x20:
			return "", d.syntax("in string literal")
		default:
			d.i++
		}
	}
	return "", d.syntax("in string literal")
}

// slowString decodes the well-formed string literal d.b[start:d.i] with encoding/json.
func (d *jsonDecoder) slowString(start int) (string, error) {
	var s string
	if err := json.Unmarshal(d.b[start:d.i], &s); err != nil {
		return "", err
	}
	return s, nil
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number parses a JSON number at d.i (RFC 8259 grammar) into a float64.
func (d *jsonDecoder) number() (float64, error) {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case d.i < len(d.b) && d.b[d.i] >= '1' && d.b[d.i] <= '9':
		for d.i < len(d.b) && isDigit(d.b[d.i]) {
			d.i++
		}
	default:
		return 0, d.syntax("in numeric literal")
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if d.i >= len(d.b) || !isDigit(d.b[d.i]) {
			return 0, d.syntax("after decimal point in numeric literal")
		}
		for d.i < len(d.b) && isDigit(d.b[d.i]) {
			d.i++
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if d.i >= len(d.b) || !isDigit(d.b[d.i]) {
			return 0, d.syntax("in exponent of numeric literal")
		}
		for d.i < len(d.b) && isDigit(d.b[d.i]) {
			d.i++
		}
	}
	f, err := strconv.ParseFloat(d.s[start:d.i], 64)
	if err != nil {
		return 0, fmt.Errorf("number %s: %w", d.b[start:d.i], err)
	}
	return f, nil
}

// jsonToWire returns the protobuf wire encoding of the google.protobuf.Value that jsonToValue(b)
// returns (the same value once decoded; map entries keep the JSON's order, and a repeated key is
// encoded twice, the later winning on decoding as in jsonToValue). It builds no message tree: one
// pass over the JSON measures every object and array, a second writes the bytes into a buffer of
// the exact size. prefix is written first (say, the tag and length of the field holding the value).
func jsonToWire(b []byte, prefix func(size int) []byte) ([]byte, error) {
	if len(b) == 0 {
		b = []byte("null")
	}
	d := jsonDecoder{b: b, s: string(b)}
	var sizes []int
	n, err := d.measure(0, &sizes)
	if err == nil {
		d.space()
		if d.i != len(d.b) {
			err = d.syntax("after top-level value")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("decode JSON: %w", referenceError(b, err))
	}
	out := prefix(n)
	out = slices.Grow(out, n)
	d.i = 0
	w := wireWriter{d: &d, sizes: sizes, out: out}
	if err := w.value(); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	return w.out, nil
}

// google.protobuf.Value's fields, and the one field of Struct (map entries) and ListValue.
const (
	valueNull   protowire.Number = 1
	valueNumber protowire.Number = 2
	valueString protowire.Number = 3
	valueBool   protowire.Number = 4
	valueStruct protowire.Number = 5
	valueList   protowire.Number = 6
)

// sizeBytes is the size of a length-delimited field of n bytes with a one-byte tag.
func sizeBytes(n int) int { return 1 + protowire.SizeVarint(uint64(n)) + n }

// scalar parses a string, number, true, false or null at d.i; kind is its first byte.
func (d *jsonDecoder) scalar() (kind byte, s string, f float64, err error) {
	if d.i >= len(d.b) {
		return 0, "", 0, d.syntax("looking for a value")
	}
	switch c := d.b[d.i]; {
	case c == '"':
		s, err = d.str()
		return c, s, 0, err
	case c == '-' || (c >= '0' && c <= '9'):
		f, err = d.number()
		return '0', "", f, err
	case c == 't':
		return c, "", 0, d.literal("true")
	case c == 'f':
		return c, "", 0, d.literal("false")
	case c == 'n':
		return c, "", 0, d.literal("null")
	}
	return 0, "", 0, d.syntax("looking for a value")
}

// scalarSize is the encoded size of a scalar Value's content.
func scalarSize(kind byte, s string) int {
	switch kind {
	case '"':
		return sizeBytes(len(s))
	case '0':
		return 1 + 8
	}
	return 2 // null, true, false: a one-byte tag and a one-byte varint
}

// measure parses the value at d.i and returns the encoded size of its Value message; for every
// object and array (in document order) it appends the size of its Struct or ListValue to sizes.
func (d *jsonDecoder) measure(depth int, sizes *[]int) (int, error) {
	d.space()
	if d.i < len(d.b) && (d.b[d.i] == '{' || d.b[d.i] == '[') {
		if depth >= maxJSONDepth {
			return 0, errJSONDepth
		}
		open := d.b[d.i]
		d.i++
		slot := len(*sizes)
		*sizes = append(*sizes, 0)
		n := 0
		d.space()
		if d.i < len(d.b) && (d.b[d.i] == '}' && open == '{' || d.b[d.i] == ']' && open == '[') {
			d.i++
			return sizeBytes(0), nil
		}
		for {
			elem := 0
			if open == '{' {
				d.space()
				if d.i >= len(d.b) || d.b[d.i] != '"' {
					return 0, d.syntax("looking for an object key")
				}
				k, err := d.str()
				if err != nil {
					return 0, err
				}
				d.space()
				if d.i >= len(d.b) || d.b[d.i] != ':' {
					return 0, d.syntax("after object key")
				}
				d.i++
				elem = sizeBytes(len(k))
			}
			v, err := d.measure(depth+1, sizes)
			if err != nil {
				return 0, err
			}
			if open == '{' {
				n += sizeBytes(elem + sizeBytes(v))
			} else {
				n += sizeBytes(v)
			}
			d.space()
			if d.i >= len(d.b) {
				return 0, d.syntax("after element")
			}
			if c := d.b[d.i]; c == ',' {
				d.i++
				continue
			} else if c == '}' && open == '{' || c == ']' && open == '[' {
				d.i++
				break
			}
			return 0, d.syntax("after element")
		}
		(*sizes)[slot] = n
		return sizeBytes(n), nil
	}
	kind, s, _, err := d.scalar()
	if err != nil {
		return 0, err
	}
	return scalarSize(kind, s), nil
}

// wireWriter is the second pass of jsonToWire, over input already checked by measure.
type wireWriter struct {
	d     *jsonDecoder
	sizes []int // the Struct/ListValue sizes measure found, consumed in document order
	out   []byte
}

// value writes the Value message content of the value at d.i.
func (w *wireWriter) value() error {
	d := w.d
	d.space()
	if c := d.b[d.i]; c == '{' || c == '[' {
		n := w.sizes[0]
		w.sizes = w.sizes[1:]
		field := valueList
		if c == '{' {
			field = valueStruct
		}
		w.out = protowire.AppendTag(w.out, field, protowire.BytesType)
		w.out = protowire.AppendVarint(w.out, uint64(n))
		d.i++
		d.space()
		if d.b[d.i] == '}' || d.b[d.i] == ']' {
			d.i++
			return nil
		}
		for {
			var key string
			if c == '{' {
				d.space()
				k, err := d.str()
				if err != nil {
					return err
				}
				key = k
				d.space()
				d.i++ // :
			}
			if err := w.element(c == '{', key); err != nil {
				return err
			}
			d.space()
			sep := d.b[d.i]
			d.i++
			if sep != ',' {
				return nil
			}
		}
	}
	kind, s, f, err := d.scalar()
	if err != nil {
		return err
	}
	w.scalar(kind, s, f)
	return nil
}

// element writes one list element or (inMap) one Struct entry with key, whose value is at d.i.
func (w *wireWriter) element(inMap bool, key string) error {
	d := w.d
	d.space()
	// The size of the element's Value: from measure for an object or array, else from the scalar.
	var (
		size    int
		kind    byte
		s       string
		f       float64
		isChild bool
	)
	if c := d.b[d.i]; c == '{' || c == '[' {
		size, isChild = sizeBytes(w.sizes[0]), true
	} else {
		var err error
		if kind, s, f, err = d.scalar(); err != nil {
			return err
		}
		size = scalarSize(kind, s)
	}
	w.out = protowire.AppendTag(w.out, 1, protowire.BytesType)
	if inMap {
		w.out = protowire.AppendVarint(w.out, uint64(sizeBytes(len(key))+sizeBytes(size)))
		w.out = protowire.AppendTag(w.out, 1, protowire.BytesType)
		w.out = protowire.AppendString(w.out, key)
		w.out = protowire.AppendTag(w.out, 2, protowire.BytesType)
	}
	w.out = protowire.AppendVarint(w.out, uint64(size))
	if isChild {
		return w.value()
	}
	w.scalar(kind, s, f)
	return nil
}

func (w *wireWriter) scalar(kind byte, s string, f float64) {
	switch kind {
	case '"':
		w.out = protowire.AppendTag(w.out, valueString, protowire.BytesType)
		w.out = protowire.AppendString(w.out, s)
	case '0':
		w.out = protowire.AppendTag(w.out, valueNumber, protowire.Fixed64Type)
		w.out = protowire.AppendFixed64(w.out, math.Float64bits(f))
	case 't', 'f':
		w.out = protowire.AppendTag(w.out, valueBool, protowire.VarintType)
		w.out = protowire.AppendVarint(w.out, protowire.EncodeBool(kind == 't'))
	default:
		w.out = protowire.AppendTag(w.out, valueNull, protowire.VarintType)
		w.out = protowire.AppendVarint(w.out, 0)
	}
}
