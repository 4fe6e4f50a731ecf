# One command per job. `make test` is what CI runs (.ci/run) and what the README gives.
GO      ?= go
BUF     := $(GO) tool -modfile=tools/go.mod buf

.PHONY: all test test-go lint generate check-generated run sandbox

all: test

## test: everything CI checks, installing what it needs on a fresh machine.
test: lint test-go

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
