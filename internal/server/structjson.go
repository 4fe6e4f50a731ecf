package server

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/internal/jsonlex"
)

// maxJSONDepth is encoding/json's nesting limit, kept so that the JSON this package reads and the
// JSON it writes are refused alike.
const maxJSONDepth = jsonlex.MaxDepth

// errJSONDepth is returned for JSON nested deeper than maxJSONDepth.
var errJSONDepth = jsonlex.ErrDepth

// jsonToValue decodes one JSON value straight into a google.protobuf.Value: the result (or the
// refusal) is that of json.Unmarshal into an any followed by structpb.NewValue, without building the
// intermediate map[string]any tree. Numbers become float64 (a number out of its range is an error, as
// in encoding/json); a later duplicate key wins; invalid UTF-8 in strings becomes U+FFFD. An empty
// input is a null value (an answer without data).
func jsonToValue(b []byte) (*structpb.Value, error) {
	if len(b) == 0 {
		return structpb.NewNullValue(), nil
	}
	d := jsonDecoder{Lexer: jsonlex.Lexer{B: b}, s: string(b)}
	v, err := d.value(0)
	if err == nil {
		err = d.End()
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
	jsonlex.Lexer
	s string // the input, copied once

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

// value parses the value at d.I, nested depth deep (inside depth objects and arrays).
func (d *jsonDecoder) value(depth int) (*structpb.Value, error) {
	if c := d.Peek(); c == '{' || c == '[' {
		closer, err := d.Open(depth)
		if err != nil {
			return nil, err
		}
		v := d.newValue()
		if closer == '}' {
			s, err := d.object(depth + 1)
			v.Kind = &structpb.Value_StructValue{StructValue: s}
			return v, err
		}
		l, err := d.array(depth + 1)
		v.Kind = &structpb.Value_ListValue{ListValue: l}
		return v, err // with an error, v is not used
	}
	kind, s, f, err := d.scalar()
	if err != nil {
		return nil, err
	}
	switch kind {
	case '"':
		return d.stringValue(s), nil
	case '0':
		return d.numberValue(f), nil
	case 'n':
		return &structpb.Value{Kind: &structpb.Value_NullValue{}}, nil
	}
	return &structpb.Value{Kind: &structpb.Value_BoolValue{BoolValue: kind == 't'}}, nil
}

// object parses the members of an object whose '{' has been read, up to its '}'.
func (d *jsonDecoder) object(depth int) (*structpb.Struct, error) {
	s := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	for more := !d.Close('}'); more; {
		k, err := d.key()
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		s.Fields[k] = v
		if more, err = d.More('}'); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// array parses the elements of an array whose '[' has been read, up to its ']'.
func (d *jsonDecoder) array(depth int) (*structpb.ListValue, error) {
	l := &structpb.ListValue{}
	for more := !d.Close(']'); more; {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		l.Values = append(l.Values, v)
		if more, err = d.More(']'); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// text returns the content of the string literal d.B[start:end]: a substring of d.s when plain.
func (d *jsonDecoder) text(start, end int, plain bool) (string, error) {
	if plain {
		return d.s[start+1 : end-1], nil
	}
	return d.Unquote(start, end)
}

// key parses an object key and the colon after it.
func (d *jsonDecoder) key() (string, error) {
	start, end, plain, err := d.Key()
	if err != nil {
		return "", err
	}
	return d.text(start, end, plain)
}

// scalar parses a string, number, true, false or null at d.I; kind is as jsonlex.Lexer.Scalar's.
func (d *jsonDecoder) scalar() (kind byte, s string, f float64, err error) {
	kind, start, plain, err := d.Scalar()
	if err != nil {
		return 0, "", 0, err
	}
	switch kind {
	case '"':
		s, err = d.text(start, d.I, plain)
	case '0':
		if f, err = strconv.ParseFloat(d.s[start:d.I], 64); err != nil {
			err = fmt.Errorf("number %s: %w", d.s[start:d.I], err)
		}
	}
	return kind, s, f, err
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
	d := jsonDecoder{Lexer: jsonlex.Lexer{B: b}, s: string(b)}
	var sizes []int
	n, err := d.measure(0, &sizes)
	if err == nil {
		err = d.End()
	}
	if err != nil {
		return nil, fmt.Errorf("decode JSON: %w", referenceError(b, err))
	}
	out := prefix(n)
	out = slices.Grow(out, n)
	d.I = 0
	w := wireWriter{d: &d, sizes: sizes, out: out}
	if err := w.value(); err != nil { // a number out of range
		return nil, fmt.Errorf("decode JSON: %w", referenceError(b, err))
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

// scalarSize is the encoded size of a scalar Value's content; n is a string's length.
func scalarSize(kind byte, n int) int {
	switch kind {
	case '"':
		return sizeBytes(n)
	case '0':
		return 1 + 8
	}
	return 2 // null, true, false: a one-byte tag and a one-byte varint
}

// measure parses the value at d.I, nested depth deep, and returns the encoded size of its Value
// message; for every object and array (in document order) it appends the size of its Struct or
// ListValue to sizes. Numbers are only checked against the grammar: the writer parses them.
func (d *jsonDecoder) measure(depth int, sizes *[]int) (int, error) {
	if c := d.Peek(); c != '{' && c != '[' {
		kind, start, plain, err := d.Scalar()
		if err != nil || kind != '"' {
			return scalarSize(kind, 0), err
		}
		n, err := d.textLen(start, d.I, plain)
		return scalarSize(kind, n), err
	}
	closer, err := d.Open(depth)
	if err != nil {
		return 0, err
	}
	slot := len(*sizes)
	*sizes = append(*sizes, 0)
	n := 0
	for more := !d.Close(closer); more; {
		key := 0
		if closer == '}' {
			start, end, plain, err := d.Key()
			if err != nil {
				return 0, err
			}
			if key, err = d.textLen(start, end, plain); err != nil {
				return 0, err
			}
			key = sizeBytes(key)
		}
		v, err := d.measure(depth+1, sizes)
		if err != nil {
			return 0, err
		}
		if closer == '}' {
			n += sizeBytes(key + sizeBytes(v))
		} else {
			n += sizeBytes(v)
		}
		if more, err = d.More(closer); err != nil {
			return 0, err
		}
	}
	(*sizes)[slot] = n
	return sizeBytes(n), nil
}

// textLen is the length of the content of the string literal d.B[start:end].
func (d *jsonDecoder) textLen(start, end int, plain bool) (int, error) {
	if plain {
		return end - start - 2, nil
	}
	s, err := d.Unquote(start, end)
	return len(s), err
}

// wireWriter is the second pass of jsonToWire, over input already checked by measure but for the
// range of numbers.
type wireWriter struct {
	d     *jsonDecoder
	sizes []int // the Struct/ListValue sizes measure found, consumed in document order
	out   []byte
}

// value writes the Value message content of the value at d.I.
func (w *wireWriter) value() error {
	d := w.d
	if c := d.Peek(); c != '{' && c != '[' {
		kind, s, f, err := d.scalar()
		if err != nil {
			return err
		}
		w.scalar(kind, s, f)
		return nil
	}
	closer, err := d.Open(0) // measure checked the depth
	if err != nil {
		return err
	}
	n := w.sizes[0]
	w.sizes = w.sizes[1:]
	field := valueList
	if closer == '}' {
		field = valueStruct
	}
	w.out = protowire.AppendTag(w.out, field, protowire.BytesType)
	w.out = protowire.AppendVarint(w.out, uint64(n))
	for more := !d.Close(closer); more; {
		var key string
		if closer == '}' {
			if key, err = d.key(); err != nil {
				return err
			}
		}
		if err := w.element(closer == '}', key); err != nil {
			return err
		}
		if more, err = d.More(closer); err != nil {
			return err
		}
	}
	return nil
}

// element writes one list element or (inMap) one Struct entry with key, whose value is at d.I.
func (w *wireWriter) element(inMap bool, key string) error {
	d := w.d
	// The size of the element's Value: from measure for an object or array, else from the scalar.
	var (
		size    int
		kind    byte
		s       string
		f       float64
		isChild bool
	)
	if c := d.Peek(); c == '{' || c == '[' {
		size, isChild = sizeBytes(w.sizes[0]), true
	} else {
		var err error
		if kind, s, f, err = d.scalar(); err != nil {
			return err
		}
		size = scalarSize(kind, len(s))
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
