# One command per job. `make test` is what CI runs (.ci/run) and what the README gives.
GO      ?= go
BUF     := $(GO) tool -modfile=tools/go.mod buf

.PHONY: all test test-go lint lint-proto generate check-generated run sandbox

all: test

## test: everything CI checks, installing what it needs on a fresh machine.
test: lint lint-proto check-generated test-go

## test-go: the Go test suite with the race detector.
test-go:
	$(GO) mod download
	$(GO) test -race -count=1 ./...

## lint: formatting and static checks.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet ./...

## run: the gateway with the embedded sandbox as its upstream.
run:
	$(GO) run ./cmd/bosa-gateway --sandbox

## sandbox: the BOSA sandbox alone, with the HTTP fault-control surface on.
sandbox:
	$(GO) run ./cmd/bosa-sandbox --control

# Files under gen/ that `make generate` writes; gen/openapi/openapi.go is hand-written (go:embed).
GENERATED := gen/bosa gen/openapi/bosa.swagger.json

## generate: regenerates gen/ from proto/ (buf and the protoc plugins are pinned Go tools; offline).
generate:
	rm -rf $(GENERATED)
	$(BUF) generate

## check-generated: fails when gen/ differs from a fresh generation (stale, hand-edited or extra files).
check-generated:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(BUF) generate -o "$$tmp" && \
	diff -r -x openapi.go "$$tmp/gen" gen || { echo "gen/ is stale: run 'make generate'"; exit 1; }

## lint-proto: buf lint (STANDARD) and buf format.
lint-proto:
	$(BUF) lint
	$(BUF) format --diff --exit-code
