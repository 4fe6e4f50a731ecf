package server

import (
	"net/http"

	"github.com/rs/cors"
)

// corsHandler lets browsers on the allowed origins call h (rs/cors: preflights answered, the
// response headers a client reads exposed). No origins: h as it is, CORS off.
func corsHandler(origins []string, h http.Handler) http.Handler {
	if len(origins) == 0 {
		return h
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete},
		AllowedHeaders: []string{"Authorization", "Content-Type", "X-Api-Key", "X-Bosa-Integration", "X-Request-Id"},
		ExposedHeaders: []string{"X-Request-Id", "Retry-After", "Content-Disposition"},
		MaxAge:         600,
	}).Handler(h)
}
