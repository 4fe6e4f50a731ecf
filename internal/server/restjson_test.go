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
	meta, _ := structpb.NewStruct(map[string]any{"has_next": true, "page": 1})
	for _, tc := range []struct {
		name string
		msg  proto.Message
	}{
		{"data and every field", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: data}, Meta: meta,
			UpstreamStatus: 200, NextPageToken: "n", PrevPageToken: "p"}},
		{"data only", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: structpb.NewStringValue("x")}}},
		{"null data", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: structpb.NewNullValue()}}},
		{"file", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_File{File: &bosav1.File{Filename: "a", Data: []byte("xyz")}}}},
		{"empty file", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_File{File: &bosav1.File{}}}},
		{"file of several base64 chunks, every field", &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_File{File: &bosav1.File{
			Parameter: "p", Filename: "a \"b\"\n\u0001é.bin", ContentType: "text/plain", Data: bytes.Repeat([]byte{0, 1, 0xfe, 0xff, 'x'}, 3*base64Chunk/5+7)}},
			UpstreamStatus: 200, NextPageToken: "n"}},
		{"other message", &bosav1.GetConnectorRequest{Connector: "github"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := restMarshaler{pb}.Marshal(tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			want, err := pb.Marshal(tc.msg)
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
