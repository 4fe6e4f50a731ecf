package server

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"bosa.dev/gateway/gen/openapi"
)

// filesOpenAPI describes the REST routes of the file streams (:download, :upload). They are
// hand-made handlers (files_http.go), not grpc-gateway routes, so the generated document lacks them.
//
//go:embed files.openapi.json
var filesOpenAPI []byte

// openAPIDocument is the generated OpenAPI document with the file routes added: /openapi.json.
func openAPIDocument() ([]byte, error) {
	var doc, extra map[string]any
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		return nil, fmt.Errorf("openapi: generated document: %w", err)
	}
	if err := json.Unmarshal(filesOpenAPI, &extra); err != nil {
		return nil, fmt.Errorf("openapi: file routes: %w", err)
	}
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapi: generated document has no paths")
	}
	for p, v := range extra["paths"].(map[string]any) {
		paths[p] = v
	}
	return json.MarshalIndent(doc, "", "  ")
}
