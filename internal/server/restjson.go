package server

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// restMarshaler is the REST face's JSON marshaler: protojson (runtime.JSONPb), except for the
// result of an ExecuteActionResponse. Its data, a google.protobuf.Value tree, is written by
// appendValueJSON, a direct walk several times faster than protojson's reflection over Struct maps;
// its file by appendFileJSON, the bytes' base64 encoded in chunks into a buffer sized once. The
// JSON means the same (the same values once parsed; object keys sorted, as protojson sorts them).
type restMarshaler struct {
	*runtime.JSONPb
}

// StreamContentType is the media type of a streamed answer (Paginate): one JSON object per line.
func (restMarshaler) StreamContentType(any) string { return "application/x-ndjson" }

// Marshal marshals v as JSONPb does.
func (m restMarshaler) Marshal(v any) ([]byte, error) {
	r, ok := v.(*bosav1.ExecuteActionResponse)
	if !ok {
		return m.JSONPb.Marshal(v)
	}
	data, isWire, err := wireData(r)
	if err != nil {
		return nil, err
	}
	if r.GetData() == nil && r.GetFile() == nil && !isWire {
		return m.JSONPb.Marshal(v)
	}
	var out []byte
	switch {
	case isWire:
		out = make([]byte, 0, 2*len(data)+256)
		out = append(out, `{"data":`...)
		w := wireJSON{out: out}
		err = w.value(data, 0)
		out = w.out
	case r.GetFile() != nil:
		out = make([]byte, 0, fileJSONSize(r.GetFile())+256)
		if out, err = appendFileJSON(append(out, `{"file":`...), r.GetFile()); err != nil {
			return nil, fmt.Errorf("marshal ExecuteActionResponse.file: %w", err)
		}
	default:
		out = make([]byte, 0, 2*valueSize(r.GetData())+256)
		out, err = appendValueJSON(append(out, `{"data":`...), r.GetData(), 0)
	}
	if err != nil {
		return nil, fmt.Errorf("marshal ExecuteActionResponse.data: %w", err)
	}
	if envelopeByHand && m.JSONPb.UseProtoNames && m.JSONPb.EmitUnpopulated && !m.JSONPb.UseEnumNumbers && m.JSONPb.Indent == "" {
		return appendEnvelope(out, r)
	}
	b, err := withoutResult(r, func() ([]byte, error) { return m.JSONPb.Marshal(r) })
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("marshal ExecuteActionResponse: unexpected JSON %.20q", b)
	}
	// b is {...} with at least the unpopulated fields (EmitUnpopulated), or {} without them.
	for _, c := range b[1:] {
		if c == '}' {
			return append(out, '}'), nil
		}
		if c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			break
		}
	}
	out = append(out, ',')
	return append(out, b[1:]...), nil
}

// base64Chunk is how many bytes of a file appendFileJSON encodes at a time (a multiple of 3, so
// that no chunk but the last is padded).
const base64Chunk = 3 << 14

// fileJSONSize is an upper bound of appendFileJSON's output for f.
func fileJSONSize(f *bosav1.File) int {
	return 2*(len(f.GetParameter())+len(f.GetFilename())+len(f.GetContentType())) +
		base64.StdEncoding.EncodedLen(len(f.GetData())) + 64
}

// appendFileJSON appends f as protojson writes it with UseProtoNames and EmitUnpopulated, the data's
// base64 encoded chunk by chunk into b's capacity. protojson encodes the whole file into a string and
// copies it on into its buffer and grpc-gateway's; a copy of tens of MiB is one step the scheduler
// cannot preempt, and while the collector waits to stop that goroutine, timers all over the process
// (call deadlines included) fired ~0.1 s late per 20 MiB answer (~0.8 s under -race); now < 10 ms.
func appendFileJSON(b []byte, f *bosav1.File) ([]byte, error) {
	var err error
	for _, field := range [...]struct{ name, value string }{
		{`{"parameter":`, f.GetParameter()}, {`,"filename":`, f.GetFilename()}, {`,"content_type":`, f.GetContentType()},
	} {
		b = append(b, field.name...)
		if b, err = appendString(b, field.value); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"data":"`...)
	for src := f.GetData(); len(src) > 0; {
		n := min(len(src), base64Chunk)
		b = base64.StdEncoding.AppendEncode(b, src[:n])
		src = src[n:]
	}
	return append(b, `"}`...), nil
}

// envelopeByHand says whether ExecuteActionResponse has exactly the fields appendEnvelope writes
// (data, file, meta, upstream_status, next_page_token, prev_page_token, in that order): a field
// added to the proto turns the hand-written envelope off (protojson writes it, as before).
var envelopeByHand = func() bool {
	fields := (&bosav1.ExecuteActionResponse{}).ProtoReflect().Descriptor().Fields()
	want := []string{"data", "file", "meta", "upstream_status", "next_page_token", "prev_page_token"}
	if fields.Len() != len(want) {
		return false
	}
	for i, name := range want {
		if fd := fields.Get(i); string(fd.Name()) != name || int(fd.Number()) != i+1 {
			return false
		}
	}
	return true
}()

// appendEnvelope appends the fields of r other than its result, as protojson writes them with
// UseProtoNames and EmitUnpopulated, and closes the object that b opened with the data.
func appendEnvelope(b []byte, r *bosav1.ExecuteActionResponse) ([]byte, error) {
	b = append(b, `,"meta":`...)
	if r.GetMeta() == nil {
		b = append(b, "null"...)
	} else {
		var err error
		if b, err = appendStructJSON(b, r.GetMeta(), 0); err != nil {
			return nil, fmt.Errorf("marshal ExecuteActionResponse.meta: %w", err)
		}
	}
	b = append(b, `,"upstream_status":`...)
	b = strconv.AppendInt(b, int64(r.GetUpstreamStatus()), 10)
	var err error
	b = append(b, `,"next_page_token":`...)
	if b, err = appendString(b, r.GetNextPageToken()); err != nil {
		return nil, fmt.Errorf("marshal ExecuteActionResponse.next_page_token: %w", err)
	}
	b = append(b, `,"prev_page_token":`...)
	if b, err = appendString(b, r.GetPrevPageToken()); err != nil {
		return nil, fmt.Errorf("marshal ExecuteActionResponse.prev_page_token: %w", err)
	}
	return append(b, '}'), nil
}

// wireData returns the content of the data field of r when it is held in wire form among r's
// unknown fields (resultMessage's dataWire), and no result is set. Unknown fields that are not
// exactly that field are an error: writing the answer without them would drop its data silently.
func wireData(r *bosav1.ExecuteActionResponse) ([]byte, bool, error) {
	if r == nil || r.Result != nil {
		return nil, false, nil
	}
	u := r.ProtoReflect().GetUnknown()
	if len(u) == 0 {
		return nil, false, nil
	}
	if v, n := consumeField(u, dataFieldNumber); v != nil && n == len(u) {
		return v, true, nil
	}
	return nil, false, errors.New("marshal ExecuteActionResponse: unknown fields other than the data in wire form")
}

// withoutResult runs f with r's result unset, then restores it. r must not be used concurrently
// (a response being written out is not): this avoids copying the message field by field.
func withoutResult[T any](r *bosav1.ExecuteActionResponse, f func() (T, error)) (T, error) {
	res := r.Result
	r.Result = nil
	defer func() { r.Result = res }()
	return f()
}

// messageSize is proto.Size(m), computed by hand (valueSize) for the Value tree of an
// ExecuteActionResponse's data, where proto.Size's generic walk over Struct maps is slow.
func messageSize(m proto.Message) int {
	r, ok := m.(*bosav1.ExecuteActionResponse)
	if !ok || r.GetData() == nil {
		return proto.Size(m)
	}
	n := valueSize(r.GetData())
	rest, _ := withoutResult(r, func() (int, error) { return proto.Size(r), nil })
	return rest + protowire.SizeTag(dataFieldNumber) + protowire.SizeBytes(n)
}

// valueSize is proto.Size(v) for a Value tree without unknown fields (as jsonToValue builds them).
func valueSize(v *structpb.Value) int {
	switch k := v.GetKind().(type) {
	case *structpb.Value_NullValue:
		return 1 + protowire.SizeVarint(uint64(k.NullValue))
	case *structpb.Value_NumberValue:
		return 1 + 8
	case *structpb.Value_StringValue:
		return 1 + protowire.SizeBytes(len(k.StringValue))
	case *structpb.Value_BoolValue:
		return 2
	case *structpb.Value_StructValue:
		n := 0
		for key, e := range k.StructValue.GetFields() {
			entry := 1 + protowire.SizeBytes(len(key)) + 1 + protowire.SizeBytes(valueSize(e))
			n += 1 + protowire.SizeBytes(entry)
		}
		return 1 + protowire.SizeBytes(n)
	case *structpb.Value_ListValue:
		n := 0
		for _, e := range k.ListValue.GetValues() {
			n += 1 + protowire.SizeBytes(valueSize(e))
		}
		return 1 + protowire.SizeBytes(n)
	}
	return 0
}

// errNoKind is protojson's refusal of a Value with no kind set.
var errNoKind = errors.New("google.protobuf.Value: none of the oneof fields is set")

// appendValueJSON appends v as JSON, refusing what protojson refuses (no kind, NaN or infinite
// numbers, invalid UTF-8).
func appendValueJSON(b []byte, v *structpb.Value, depth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return nil, errJSONDepth
	}
	switch k := v.GetKind().(type) {
	case *structpb.Value_NullValue:
		return append(b, "null"...), nil
	case *structpb.Value_NumberValue:
		f := k.NumberValue
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("google.protobuf.Value: invalid NumberValue %v", f)
		}
		return appendFloat(b, f), nil
	case *structpb.Value_StringValue:
		return appendString(b, k.StringValue)
	case *structpb.Value_BoolValue:
		return strconv.AppendBool(b, k.BoolValue), nil
	case *structpb.Value_StructValue:
		return appendStructJSON(b, k.StructValue, depth)
	case *structpb.Value_ListValue:
		b = append(b, '[')
		var err error
		for i, e := range k.ListValue.GetValues() {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValueJSON(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	return nil, errNoKind
}

// appendStructJSON appends s as a JSON object, its keys sorted; depth is that of the Value
// holding it.
func appendStructJSON(b []byte, s *structpb.Struct, depth int) ([]byte, error) {
	if depth > maxJSONDepth {
		return nil, errJSONDepth
	}
	fields := s.GetFields()
	b = append(b, '{')
	var err error
	for i, key := range slices.Sorted(maps.Keys(fields)) {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendString(b, key); err != nil {
			return nil, err
		}
		b = append(b, ':')
		if b, err = appendValueJSON(b, fields[key], depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendFloat formats a number as encoding/json and protojson do.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString appends s as a JSON string: quote, backslash and control characters escaped.
func appendString(b []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, errors.New("invalid UTF-8 in string")
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"'), nil
}

// wireJSON writes a google.protobuf.Value held in wire form (as jsonToWire encodes it) as JSON,
// with what appendValueJSON writes for the same value decoded: object keys sorted (a repeated key
// written once, its last value winning, as decoding into a Struct keeps it), numbers and strings
// formatted alike, and the same refusals. It builds no message tree; entries is scratch space for
// sorting the members of the objects being written, shared down the nesting.
type wireJSON struct {
	out     []byte
	entries []wireEntry
}

// wireEntry is one member of a Struct in wire form: the offsets of its key and of its Value's
// bytes within the Struct's bytes (offsets, not slices: sorting entries without pointers needs no
// write barriers).
type wireEntry struct {
	keyStart, keyEnd, valStart, valEnd int
}

// errWire is the refusal of bytes that are not a Value jsonToWire could have written.
var errWire = errors.New("google.protobuf.Value: malformed wire bytes")

// value appends the Value message whose bytes are b, nested depth deep.
func (w *wireJSON) value(b []byte, depth int) error {
	if depth > maxJSONDepth {
		return errJSONDepth
	}
	// The kind is the last of the oneof's fields present, as decoding keeps it.
	var (
		kind protowire.Number
		bits uint64
		raw  []byte
	)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errWire
		}
		b = b[n:]
		switch {
		case typ == protowire.VarintType && (num == valueNull || num == valueBool):
			bits, n = protowire.ConsumeVarint(b)
		case typ == protowire.Fixed64Type && num == valueNumber:
			bits, n = protowire.ConsumeFixed64(b)
		case typ == protowire.BytesType && (num == valueString || num == valueStruct || num == valueList):
			raw, n = protowire.ConsumeBytes(b)
		default:
			num, n = 0, protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return errWire
		}
		if num != 0 {
			kind = num
		}
		b = b[n:]
	}
	var err error
	switch kind {
	case valueNull:
		w.out = append(w.out, "null"...)
	case valueNumber:
		f := math.Float64frombits(bits)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("google.protobuf.Value: invalid NumberValue %v", f)
		}
		w.out = appendFloat(w.out, f)
	case valueString:
		w.out, err = appendString(w.out, bytesString(raw))
	case valueBool:
		w.out = strconv.AppendBool(w.out, bits != 0)
	case valueStruct:
		err = w.object(raw, depth)
	case valueList:
		err = w.array(raw, depth)
	default:
		err = errNoKind
	}
	return err
}

// object appends the Struct whose bytes are b, its members sorted by key.
func (w *wireJSON) object(b []byte, depth int) error {
	first := len(w.entries)
	defer func() { w.entries = w.entries[:first] }()
	for pos := 0; pos < len(b); {
		entry, n := consumeField(b[pos:], 1)
		if n < 0 {
			return errWire
		}
		start := pos + n - len(entry) // a length-delimited field ends with its content
		pos += n
		if entry == nil {
			continue
		}
		e := wireEntry{keyStart: start, keyEnd: start, valStart: start, valEnd: start}
		for epos := 0; epos < len(entry); {
			num, typ, tn := protowire.ConsumeTag(entry[epos:])
			if tn < 0 {
				return errWire
			}
			var (
				v []byte
				m int
			)
			if typ == protowire.BytesType {
				v, m = protowire.ConsumeBytes(entry[epos+tn:])
			} else {
				m = protowire.ConsumeFieldValue(num, typ, entry[epos+tn:])
			}
			if m < 0 {
				return errWire
			}
			vs := start + epos + tn + m - len(v)
			switch {
			case typ == protowire.BytesType && num == 1:
				e.keyStart, e.keyEnd = vs, vs+len(v)
			case typ == protowire.BytesType && num == 2:
				e.valStart, e.valEnd = vs, vs+len(v)
			}
			epos += tn + m
		}
		w.entries = append(w.entries, e)
	}
	key := func(e wireEntry) []byte { return b[e.keyStart:e.keyEnd] }
	members := w.entries[first:]
	slices.SortStableFunc(members, func(x, y wireEntry) int { return bytes.Compare(key(x), key(y)) })
	w.out = append(w.out, '{')
	written := 0
	for i := range members {
		// Re-slice: writing a nested object may have grown w.entries.
		e := w.entries[first+i]
		if i+1 < len(members) && bytes.Equal(key(e), key(w.entries[first+i+1])) {
			continue // a later value of the same key wins
		}
		if written > 0 {
			w.out = append(w.out, ',')
		}
		written++
		var err error
		if w.out, err = appendString(w.out, bytesString(key(e))); err != nil {
			return err
		}
		w.out = append(w.out, ':')
		if err := w.value(b[e.valStart:e.valEnd], depth+1); err != nil {
			return err
		}
	}
	w.out = append(w.out, '}')
	return nil
}

// array appends the ListValue whose bytes are b.
func (w *wireJSON) array(b []byte, depth int) error {
	w.out = append(w.out, '[')
	written := 0
	for len(b) > 0 {
		v, n := consumeField(b, 1)
		if n < 0 {
			return errWire
		}
		b = b[n:]
		if v == nil {
			continue
		}
		if written > 0 {
			w.out = append(w.out, ',')
		}
		written++
		if err := w.value(v, depth+1); err != nil {
			return err
		}
	}
	w.out = append(w.out, ']')
	return nil
}

// consumeField reads one field of b: its bytes when it is the length-delimited field num (never nil
// then), else nil; n is the field's whole length, negative when b is malformed.
func consumeField(b []byte, num protowire.Number) (v []byte, n int) {
	got, typ, tn := protowire.ConsumeTag(b)
	if tn < 0 {
		return nil, tn
	}
	if typ != protowire.BytesType || got != num {
		m := protowire.ConsumeFieldValue(got, typ, b[tn:])
		if m < 0 {
			return nil, m
		}
		return nil, tn + m
	}
	v, m := protowire.ConsumeBytes(b[tn:])
	if m < 0 {
		return nil, m
	}
	if v == nil {
		v = []byte{}
	}
	return v, tn + m
}

// bytesString returns b as a string without copying; b must not change while the string is used
// (the wire bytes of an answer being written out do not).
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
