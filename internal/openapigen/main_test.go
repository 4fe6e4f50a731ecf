package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

// swagger is the shape protoc-gen-openapiv2 writes, cut down to one streaming route.
const swagger = `{
  "swagger": "2.0", "info": {"title": "t", "version": "v1"},
  "paths": {"/v1/connectors/{connector}/actions/{action}:paginate": {"post": {
    "operationId": "ActionService_Paginate",
    "parameters": [
      {"name": "connector", "in": "path", "required": true, "type": "string"},
      {"name": "action", "in": "path", "required": true, "type": "string"},
      {"name": "body", "in": "body", "required": true, "schema": {"type": "object"}}],
    "responses": {
      "200": {"description": "ok", "schema": {"type": "object", "properties": {
        "result": {"$ref": "#/definitions/v1PaginateResponse"}, "error": {"$ref": "#/definitions/rpcStatus"}}}},
      "default": {"description": "err", "schema": {"$ref": "#/definitions/rpcStatus"}}}}}},
  "definitions": {
    "v1PaginateResponse": {"type": "object", "properties": {
      "meta": {"type": "object"},
      "file": {"$ref": "#/definitions/v1File"},
      "direction": {"$ref": "#/definitions/v1Direction"},
      "labels": {"type": "object", "additionalProperties": {"type": "string"}},
      "items": {"type": "array", "items": {"$ref": "#/definitions/v1File"}}}},
    "v1File": {"type": "object"},
    "v1Direction": {"type": "string", "enum": ["DIRECTION_NEXT"]},
    "rpcStatus": {"type": "object"}}
}`

// TestConvert: the 3.1 document has what protoc-gen-openapiv2 cannot write (see the package doc).
func TestConvert(t *testing.T) {
	doc, err := convert([]byte(swagger))
	if err != nil {
		t.Fatal(err)
	}
	// Round-trip through JSON so that lookups see what is written out.
	b, _ := json.Marshal(doc)
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) any {
		var v any = d
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		return v
	}
	props := []string{"components", "schemas", "v1PaginateResponse", "properties"}
	op := []string{"paths", "/v1/connectors/{connector}/actions/{action}:paginate", "post"}
	for _, tc := range []struct {
		name string
		path []string
		want any
	}{
		{"version", []string{"openapi"}, "3.1.0"},
		{"Struct field nullable", append(props, "meta", "type"), []any{"object", "null"}},
		{"message field nullable", append(props, "file", "anyOf"), []any{map[string]any{"$ref": "#/components/schemas/v1File"}, map[string]any{"type": "null"}}},
		{"enum field not nullable", append(props, "direction", "$ref"), "#/components/schemas/v1Direction"},
		{"map field not nullable", append(props, "labels", "type"), "object"},
		{"list items not nullable", append(props, "items", "items", "$ref"), "#/components/schemas/v1File"},
		{"NDJSON stream", append(op, "responses", "200", "content", "application/x-ndjson", "schema", "$ref"), "#/components/schemas/PaginateStreamLine"},
		{"no default on a stream", append(op, "responses", "default"), nil},
		{"declared error status", append(op, "responses", "404", "$ref"), "#/components/responses/Error"},
		{"bearer scheme", []string{"components", "securitySchemes", "bearerAuth", "scheme"}, "bearer"},
		{"API key header", []string{"components", "securitySchemes", "apiKey", "name"}, "x-api-key"},
		{"file routes merged", []string{"paths", "/v1/connectors/{connector}/actions/{action}:download", "post", "operationId"}, "ActionService_DownloadFileREST"},
		{"user token on an action", append(op, "security"), []any{map[string]any{"bearerAuth": []any{}, "apiKey": []any{}}, map[string]any{"bearerAuth": []any{}}}},
		{"ErrorReason constants", []string{"components", "schemas", "ErrorReason", "type"}, "string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := get(tc.path...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%v = %#v, want %#v", tc.path, got, tc.want)
			}
		})
	}
	params, _ := get(op...).(map[string]any)["parameters"].([]any)
	var sawHeader, sawExample bool
	for _, p := range params {
		p := p.(map[string]any)
		sawHeader = sawHeader || p["$ref"] == "#/components/parameters/BosaIntegration"
		sawExample = sawExample || p["name"] == "action" && p["example"] == "list_pull_requests"
	}
	if !sawHeader || !sawExample {
		t.Errorf("paginate parameters %v: want the x-bosa-integration header and an action example", params)
	}
}
