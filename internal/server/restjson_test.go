package server

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// TestRESTMarshaler: restMarshaler's JSON parses to what runtime.JSONPb's parses to, for every
// shape of ExecuteActionResponse and for other messages; messageSize is proto.Size.
func TestRESTMarshaler(t *testing.T) {
	pb := &runtime.JSONPb{MarshalOptions: protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}}
	data, err := jsonToValue([]byte(`[{"id": 1, "title": "a \"quoted\"\n\u0001 title", "tags": ["x", "é"], "n": 1e21, "m": 1e-7, "o": {}}]`))
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := structpb.NewStruct(map[string]any{"has_next": true, "page": 1, "cursor": "a\"b", "nested": map[string]any{"z": 1, "a": []any{nil}}})
	// The data in wire form, as resultMessage sets it: written as JSON straight from the bytes.
	raw := []byte(`[{"id": 1, "title": "a \"quoted\"\n\u0001 title", "tags": ["x", "é"], "n": 1e21, "m": 1e-7, "o": {}, "o": {"b": 2, "a": null}}]`)
	wire, err := dataWire(raw)
	if err != nil {
		t.Fatal(err)
	}
	withWire := func(m *bosav1.ExecuteActionResponse) *bosav1.ExecuteActionResponse {
		m.ProtoReflect().SetUnknown(wire)
		return m
	}
	wireData, err := jsonToValue(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		msg  proto.Message
		want proto.Message // what protojson is given for comparison; msg when nil
	}{
		{"wire data and every field", withWire(&bosav1.ExecuteActionResponse{Meta: meta, UpstreamStatus: 200, NextPageToken: "n", PrevPageToken: "p\u2028"}),
			&bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: wireData}, Meta: meta, UpstreamStatus: 200, NextPageToken: "n", PrevPageToken: "p\u2028"}},
		{"wire data only", withWire(&bosav1.ExecuteActionResponse{}),
			&bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: wireData}}},
		{"data and every field", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: data}, Meta: meta,
			UpstreamStatus: 200, NextPageToken: "n", PrevPageToken: "p"}, nil},
		{"data only", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: structpb.NewStringValue("x")}}, nil},
		{"null data", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: structpb.NewNullValue()}}, nil},
		{"file", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_File{File: &bosav1.File{Filename: "a", Data: []byte("xyz")}}}, nil},
		{"empty file", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_File{File: &bosav1.File{}}}, nil},
		{"file of several base64 chunks, every field", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_File{File: &bosav1.File{
			Parameter: "p", Filename: "a \"b\"\n\u0001é.bin", ContentType: "text/plain", Data: bytes.Repeat([]byte{0, 1, 0xfe, 0xff, 'x'}, 3*base64Chunk/5+7)}},
			UpstreamStatus: 200, NextPageToken: "n"}, nil},
		{"other message", &bosav1.GetConnectorRequest{Connector: "github"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := restMarshaler{pb}.Marshal(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			ref := tc.want
			if ref == nil {
				ref = tc.msg
			}
			want, err := pb.Marshal(ref)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("invalid JSON %s: %v", got, err)
			}
			_ = json.Unmarshal(want, &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("got %s, want %s", got, want)
			}
			if got, want := messageSize(tc.msg), proto.Size(tc.msg); got != want {
				t.Errorf("messageSize %d, proto.Size %d", got, want)
			}
		})
	}
	// Bytes that are no Value jsonToWire writes are refused, not written half.
	for _, bad := range [][]byte{{0x0a, 0x05, 0x1a}, {0x0a, 0x00}, {0x0a, 0x02, 0x2a, 0x09}} {
		msg := &bosav1.ExecuteActionResponse{}
		msg.ProtoReflect().SetUnknown(bad)
		if b, err := (restMarshaler{pb}).Marshal(msg); err == nil {
			t.Errorf("%x: no error, wrote %s", bad, b)
		}
	}
	// What protojson refuses, restMarshaler refuses.
	var bads []*bosav1.ExecuteActionResponse
	for _, bad := range []*structpb.Value{{}, structpb.NewNumberValue(math.NaN()), structpb.NewStringValue("\xff")} {
		bads = append(bads, &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: bad}})
	}
	bads = append(bads, &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_File{File: &bosav1.File{Filename: "\xff"}}})
	for _, msg := range bads {
		bad := msg.GetResult()
		if _, err := (restMarshaler{pb}).Marshal(msg); err == nil {
			t.Errorf("%v: no error", bad)
		}
		if _, err := pb.Marshal(msg); err == nil {
			t.Errorf("%v: protojson accepts it", bad)
		}
	}
}

// BenchmarkRESTAnswer: the REST face's answer of a ~1 KiB JSON page, from the upstream's data to
// the JSON written out. "tree" is the former path (a Value tree, then appendValueJSON and protojson
// for the envelope); "wire" the current one (dataWire, then wireJSON and the hand-written
// envelope); "copy" what a proxy does with the same bytes.
func BenchmarkRESTAnswer(b *testing.B) {
	item := `{"id": 101, "number": 12, "title": "Fix the login redirect", "state": "open", "draft": false,
		"user": {"login": "alice", "id": 1}, "labels": [{"name": "bug"}, {"name": "p1"}], "body": null,
		"created_at": "2026-01-01T10:00:00Z", "merged_at": null, "comments": 3}`
	raw := []byte("[" + item + "," + item + "," + item + "]")
	meta, _ := structpb.NewStruct(map[string]any{"has_next": true, "page": 1, "per_page": 3})
	pb := &runtime.JSONPb{MarshalOptions: protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}}
	m := restMarshaler{pb}
	b.Run("tree", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			data, err := jsonToValue(raw)
			if err != nil {
				b.Fatal(err)
			}
			msg := &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: data}, Meta: meta, UpstreamStatus: 200}
			// The former envelope: protojson without the data.
			if _, err := withoutResult(msg, func() ([]byte, error) { return pb.Marshal(msg) }); err != nil {
				b.Fatal(err)
			}
			if _, err := appendValueJSON(nil, data, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			wire, err := dataWire(raw)
			if err != nil {
				b.Fatal(err)
			}
			msg := &bosav1.ExecuteActionResponse{Meta: meta, UpstreamStatus: 200}
			msg.ProtoReflect().SetUnknown(wire)
			if _, err := m.Marshal(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("copy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = append([]byte(nil), raw...)
		}
	})
}

// BenchmarkRESTRequest: the REST face's decoding of the 1 KiB case's request body (protojson into
// ExecuteActionRequest, as grpc-gateway does, then the input as Go values for bosaclient), next
// to a proxy's copy of the same bytes.
func BenchmarkRESTRequest(b *testing.B) {
	body := []byte(`{"input": {"owner": "acme", "repo": "web", "state": "all", "per_page": 3}}`)
	pb := &runtime.JSONPb{UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false}}
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req bosav1.ExecuteActionRequest
			if err := pb.Unmarshal(body, &req); err != nil {
				b.Fatal(err)
			}
			_ = req.GetInput().AsMap()
		}
	})
	b.Run("copy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = append([]byte(nil), body...)
		}
	})
}

// TestDecodeUnknown: an answer whose data is in wire form (dataWire), given to an in-process caller
// other than the REST face (the MCP face), has its data field decoded, as over a gRPC connection.
func TestDecodeUnknown(t *testing.T) {
	raw := []byte(`{"a": [1, "x", null, {"b": true}], "a": {"c": 2.5}}`)
	wire, err := dataWire(raw)
	if err != nil {
		t.Fatal(err)
	}
	msg := &bosav1.ExecuteActionResponse{UpstreamStatus: 200, NextPageToken: "n"}
	msg.ProtoReflect().SetUnknown(wire)
	if err := decodeUnknown(msg); err != nil {
		t.Fatal(err)
	}
	data, err := jsonToValue(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: data}, UpstreamStatus: 200, NextPageToken: "n"}
	if !proto.Equal(msg, want) || len(msg.ProtoReflect().GetUnknown()) != 0 {
		t.Errorf("decoded %v, want %v", msg, want)
	}
}
