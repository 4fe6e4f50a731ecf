package server

import (
	"time"

	"bosa.dev/gateway/bosaclient"
)

// services holds what every bosa.v1 service implementation shares. Each service is its own type
// (connectorService, actionService, ...) embedding it, one file per service.
type services struct {
	client *bosaclient.Client
	// hasAPIKey says whether the gateway has its own BOSA key; without one callers must send x-api-key.
	hasAPIKey bool
	tokens    pageTokens
	// requests keeps the answers of calls with a request_id, for their retries.
	requests *requestIDs
	// exposeCredentials lets GetIntegration return stored third-party credentials.
	exposeCredentials bool
	// maxPages bounds one Paginate stream; maxPrefetch bounds PaginateRequest.prefetch.
	maxPages, maxPrefetch int
	// maxAttempts bounds ExecuteActionRequest.max_attempts; defaultAttempts applies when it is 0.
	maxAttempts, defaultAttempts int
	// maxMessageBytes is the gRPC message limit; it caps DownloadFile's chunks.
	maxMessageBytes int
	// uploadIdle bounds the wait for an UploadFiles stream's next message.
	uploadIdle time.Duration
	// stopping is closed when the gateway starts draining; Paginate streams then end at the next
	// page boundary.
	stopping chan struct{}
}
