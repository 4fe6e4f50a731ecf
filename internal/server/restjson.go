package server

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

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
	if !ok || (r.GetData() == nil && r.GetFile() == nil) {
		return m.JSONPb.Marshal(v)
	}
	b, err := withoutResult(r, func() ([]byte, error) { return m.JSONPb.Marshal(r) })
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("marshal ExecuteActionResponse: unexpected JSON %.20q", b)
	}
	var out []byte
	if f := r.GetFile(); f != nil {
		out = make([]byte, 0, len(b)+fileJSONSize(f)+16)
		out = append(out, `{"file":`...)
		if out, err = appendFileJSON(out, f); err != nil {
			return nil, fmt.Errorf("marshal ExecuteActionResponse.file: %w", err)
		}
	} else {
		out = make([]byte, 0, len(b)+2*valueSize(r.GetData())+16)
		out = append(out, `{"data":`...)
		if out, err = appendValueJSON(out, r.GetData(), 0); err != nil {
			return nil, fmt.Errorf("marshal ExecuteActionResponse.data: %w", err)
		}
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
		fields := k.StructValue.GetFields()
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
