# One command per job. `make test` is what CI runs (.ci/run) and what the README gives.
GO      ?= go

# buf comes prebuilt from npm (@bufbuild/buf, the same release as the Go module, pinned by
# tools/package-lock.json): installing it takes seconds, where compiling it from Go source took minutes.
# It runs from the repository root: paths in buf.gen*.yaml are relative to it.
BUF         := tools/node_modules/.bin/buf
BUF_INSTALL := tools/node_modules/.package-lock.json

# Clients (clients/python, clients/typescript). Generation tools are pinned: grpcio-tools and
# mypy-protobuf by clients/python/constraints.txt in clients/python/.venv, protoc-gen-es by
# clients/typescript/package-lock.json. Installing them needs PyPI and npm; generating is offline.
PYTHON     ?= python3
PY_DIR     := clients/python
PY_VENV    := $(PY_DIR)/.venv
PY_PIP     := $(PY_VENV)/bin/pip --disable-pip-version-check --quiet
PY_GEN     := $(PY_DIR)/src/bosa
TS_DIR     := clients/typescript
TS_GEN     := $(TS_DIR)/src/gen
CLIENT_TOOLS := $(PY_VENV)/bin/protoc-gen-mypy_grpc $(TS_DIR)/node_modules/.package-lock.json

.PHONY: all test test-go lint lint-proto generate check-generated run sandbox generate-clients test-python test-ts test-browser test-refclient test-mcp

all: test

## test: everything CI checks, installing what it needs on a fresh machine. Two groups run side by side (each
## in order, see tools/run-groups.sh): the Go checks, which keep the CPU busy, and the proto and client checks,
## which mostly wait on installs and on a gateway. Add a new suite to the group it fits.
TEST_GROUP_GO      := lint test-go fuzz test-mcp test-deploy
TEST_GROUP_CLIENTS := lint-proto check-generated test-python test-ts test-browser test-java test-refclient test-openapi
test:
	@MAKE='$(MAKE)' tools/run-groups.sh '$(TEST_GROUP_GO)' '$(TEST_GROUP_CLIENTS)'

## test-go: the Go test suite with the race detector (the bench tests run wrk and ghz: bench-tools).
test-go: bench-tools
	$(GO) mod download
	$(GO) test -race -count=1 ./...

## lint: formatting and static checks.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet ./...

# The reference Python client, unchanged, against the sandbox: the release the protocol notes describe
# and the newest on PyPI when last checked (2026-11-30).
REFCLIENT_VERSIONS := 0.1.0 0.1.15.post1

## test-refclient: the reference Python SDK (gl-connectors-sdk, each pinned version) against a running sandbox.
test-refclient:
	$(GO) build -o bin/bosa-sandbox ./cmd/bosa-sandbox
	PYTHON=$(PYTHON) sandbox/testdata/refclient.sh bin/bosa-sandbox $(REFCLIENT_VERSIONS)

# MCP clients nobody here wrote, against a live gateway (the official Go SDK's client runs in test-go):
# the Python `mcp` package, pinned with its dependencies in requirements.txt, and the MCP Inspector's
# CLI, pinned by package-lock.json. Both read docs/mcp-client.json.
MCP_TEST := internal/mcp/testdata

$(MCP_TEST)/.venv/bin/python:
	$(PYTHON) -m venv $(MCP_TEST)/.venv

## test-mcp: the Python mcp client and the MCP Inspector CLI against a live bosa-gateway --sandbox.
test-mcp: $(MCP_TEST)/.venv/bin/python
	$(MCP_TEST)/.venv/bin/pip --disable-pip-version-check --quiet install -r $(MCP_TEST)/requirements.txt
	cd $(MCP_TEST) && npm ci --no-audit --no-fund
	cd $(MCP_TEST) && .venv/bin/python -m pytest -q

## run: the gateway with the embedded sandbox as its upstream.
run:
	$(GO) run ./cmd/bosa-gateway --sandbox

## sandbox: the BOSA sandbox alone, with the HTTP fault-control surface on.
sandbox:
	$(GO) run ./cmd/bosa-sandbox --control

# Everything under gen/ is written by `make generate`. The OpenAPI 3.1 document (gen/openapi) is
# converted by internal/openapigen from the Swagger 2.0 file protoc-gen-openapiv2 writes to bin/.
GENERATED := gen/bosa gen/gw gen/openapi
OPENAPIGEN = $(GO) run ./internal/openapigen -swagger $(1)/bin/openapiv2/bosa.swagger.json -out $(1)/gen/openapi

# The published gRPC service config, copied into the clients that ship it (Go embeds it, Python
# packages it); check-generated compares the copies.
SERVICE_CONFIG        := proto/bosa/v1/service_config.json
SERVICE_CONFIG_COPIES := clients/gatewayclient/service_config.json $(PY_DIR)/src/bosa_gateway/service_config.json

## generate: regenerates gen/ and the client code from proto/ (buf from npm, the protoc plugins as Go tools, all pinned; offline once installed).
generate: generate-clients $(BUF_INSTALL)
	rm -rf $(GENERATED)
	$(BUF) generate
	$(call OPENAPIGEN,.)
	for f in $(SERVICE_CONFIG_COPIES); do cp $(SERVICE_CONFIG) $$f; done

## check-generated: fails when gen/ or the client code differs from a fresh generation (stale, hand-edited or extra files).
check-generated: $(CLIENT_TOOLS) $(BUF_INSTALL)
	@for f in $(SERVICE_CONFIG_COPIES); do diff $(SERVICE_CONFIG) $$f || { echo "$$f is stale: run 'make generate'"; exit 1; }; done
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(BUF) generate -o "$$tmp" && $(call OPENAPIGEN,$$tmp) && \
	diff -r "$$tmp/gen" gen || { echo "gen/ is stale: run 'make generate'"; exit 1; }; \
	$(BUF) generate --template buf.gen.python.yaml -o "$$tmp" && \
	touch "$$tmp/$(PY_GEN)/py.typed" "$$tmp/$(PY_GEN)/v1/py.typed" && \
	$(BUF) generate --template buf.gen.ts.yaml -o "$$tmp" && \
	diff -r -x __pycache__ "$$tmp/$(PY_GEN)" $(PY_GEN) && \
	diff -r "$$tmp/$(TS_GEN)" $(TS_GEN) || { echo "client code is stale: run 'make generate'"; exit 1; }; \
	diff $(PY_VENV)/lib/python3*/site-packages/google/api/field_behavior.proto proto/google/api/field_behavior.proto || \
		{ echo "proto/google/api/field_behavior.proto differs from the pinned googleapis-common-protos wheel's"; exit 1; }

## lint-proto: buf lint (STANDARD), buf format, and buf breaking (WIRE_JSON) against the frozen v1 baseline.
lint-proto: $(BUF_INSTALL)
	$(BUF) lint
	$(BUF) format --diff --exit-code
	$(BUF) breaking --against $(PROTO_BASELINE)

# The v1 protos as frozen (a buf image in JSON); see docs/api-design.md, "Freeze".
PROTO_BASELINE := proto/v1-baseline.json

## proto-baseline: rewrites the buf breaking baseline from proto/ (only for a reviewed, deliberate break).
.PHONY: proto-baseline
proto-baseline: $(BUF_INSTALL)
	$(BUF) build --exclude-source-info -o '-#format=json' | $(PYTHON) -c 'import json,sys; json.dump(json.load(sys.stdin), sys.stdout, indent=1, sort_keys=True); print()' > $(PROTO_BASELINE).tmp
	mv $(PROTO_BASELINE).tmp $(PROTO_BASELINE)

# Tool installs (see the variables at the top).
$(BUF_INSTALL): tools/package.json tools/package-lock.json
	cd tools && npm ci --ignore-scripts --no-audit --no-fund

$(PY_VENV)/bin/python:
	$(PYTHON) -m venv $(PY_VENV)

$(PY_VENV)/bin/protoc-gen-mypy_grpc: $(PY_VENV)/bin/python $(PY_DIR)/pyproject.toml $(PY_DIR)/constraints.txt
	$(PY_PIP) install -c $(PY_DIR)/constraints.txt './$(PY_DIR)[generate]'
	touch $@

$(TS_DIR)/node_modules/.package-lock.json: $(TS_DIR)/package.json $(TS_DIR)/package-lock.json
	cd $(TS_DIR) && npm ci --no-audit --no-fund

## generate-clients: regenerates the Python (clients/python/src/bosa) and TypeScript (clients/typescript/src/gen) code.
generate-clients: $(CLIENT_TOOLS) $(BUF_INSTALL)
	rm -rf $(PY_GEN)
	$(BUF) generate --template buf.gen.python.yaml
	touch $(PY_GEN)/py.typed $(PY_GEN)/v1/py.typed
	$(BUF) generate --template buf.gen.ts.yaml

## test-python: installs clients/python with its test extra in clients/python/.venv, runs mypy --strict on the
## package and the examples (these import the installed package, as users do) and pytest against a real gateway.
test-python: $(PY_VENV)/bin/python
	$(PY_PIP) install -c $(PY_DIR)/constraints.txt './$(PY_DIR)[test]'
	cd $(PY_DIR) && .venv/bin/mypy --strict src/bosa_gateway && .venv/bin/mypy --strict examples
	cd $(PY_DIR) && .venv/bin/python -m pytest

## test-openapi: the OpenAPI document against a live gateway (tests/openapi, pinned in its requirements.txt):
## validated (openapi-spec-validator), a client generated by openapi-python-client runs the REST journey, and
## Schemathesis (about 2.5 minutes; SCHEMATHESIS_MAX_TIME) finds no failure.
OA_DIR := tests/openapi
.PHONY: test-openapi
test-openapi:
	test -x $(OA_DIR)/.venv/bin/python || $(PYTHON) -m venv $(OA_DIR)/.venv
	$(OA_DIR)/.venv/bin/pip --disable-pip-version-check --quiet install -r $(OA_DIR)/requirements.txt
	cd $(OA_DIR) && .venv/bin/python -m pytest

## test-ts: installs clients/typescript (npm ci), compiles it and runs node's test runner against a real gateway.
test-ts:
	cd $(TS_DIR) && npm ci --no-audit --no-fund && npm test

## test-browser: the TypeScript browser entry in headless Chromium (Debian's chromium, apt-get installed when
## missing; driven by playwright-core) against a real gateway over Connect and gRPC-Web (docs/browser.md).
## Runs after test-ts in its make test group: both build clients/typescript/dist, which must not happen at once.
test-browser: $(TS_DIR)/node_modules/.package-lock.json
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
	cd $(TS_DIR) && npm run test-browser

## test-java: the Java client (clients/java): Maven generates the stubs from proto/ and runs JUnit 5 against real gateways.
.PHONY: test-java
test-java:
	cd clients/java && mvn -q -B test

## bench: builds the binaries and the load tools, runs the benchmarks (sandbox, gateway and floor proxy as separate
## processes, wrk and ghz driving the unary cells; about 10 minutes on 2 cores) and writes docs/benchmarks.md.
## BENCHFLAGS passes flags, e.g. BENCHFLAGS='-scenarios unary' or BENCHFLAGS=-smoke (a short run proving the pipeline).
.PHONY: bench bench-compare bench-tools
bench: bench-tools
	$(GO) build -o bin/ ./cmd/bosa-sandbox ./cmd/bosa-gateway ./cmd/bosa-bench
	bin/bosa-bench -bin bin -out docs/benchmarks.md $(BENCHFLAGS)

# The load tools: wrk from Debian (installed with apt-get when missing), ghz pinned and built into bin/.
GHZ_VERSION := v0.93.0

## bench-tools: installs wrk (apt-get, when not on PATH) and ghz $(GHZ_VERSION) (go install into bin/).
bench-tools: bin/ghz
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

bin/ghz:
	GOBIN=$(abspath bin) $(GO) install github.com/bojand/ghz/cmd/ghz@$(GHZ_VERSION)

## bench-compare: builds the gateway at BASE (a git ref, from `git archive`: the working tree is untouched) and the
## current tree's, runs the unary gRPC/REST cells with both alternately against one sandbox (wrk and ghz), and
## prints p50/p99/CPU per request side by side with new/base ratios; also written to bin/bench-compare.md.
## E.g. make bench-compare BASE=main; BENCHFLAGS adds flags (-cases, -concurrency, -repeat, -duration).
bench-compare: bench-tools
	@test -n "$(BASE)" || { echo "usage: make bench-compare BASE=<git ref> [BENCHFLAGS=...]"; exit 2; }
	$(GO) build -o bin/ ./cmd/bosa-sandbox ./cmd/bosa-gateway ./cmd/bosa-bench
	bin/bosa-bench -bin bin -base '$(BASE)' -out bin/bench-compare.md $(BENCHFLAGS)

## fuzz: a short bounded run of every fuzz target (FUZZTIME each; the seed corpora under testdata/fuzz
## also run as plain tests in `make test`). The budget is a count of executions, not a duration: Go 1.26's
## fuzzing coordinator can report a spurious "context deadline exceeded" failure when a duration ends
## while a worker is busy (golang/go#75804, fixed in Go 1.27), which a loaded CI machine hits.
FUZZTIME ?= 10000x
FUZZ_TARGETS := \
	schema:FuzzValidate schema:FuzzDecodeForm shape:FuzzApply \
	internal/server:FuzzJSONValue internal/server:FuzzJSONToValue internal/server:FuzzPageToken \
	bosaclient:FuzzEncodeMultipart bosaclient:FuzzFilenameFromDisposition \
	bosaclient:FuzzDecodeAction bosaclient:FuzzAPIError bosaclient:FuzzParseListing \
	internal/jsonlex:FuzzSkipValue
.PHONY: fuzz
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) ./$$pkg; \
	done

## image: builds the container image (Containerfile) from a static binary; no base image is pulled.
## IMAGE names it; VERSION (default: git describe) and the commit and date go into --version and the labels.
IMAGE   ?= localhost/bosa-gateway:$(VERSION)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION = $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
CREATED  = $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
BUILDINFO := bosa.dev/gateway/internal/buildinfo
.PHONY: image test-deploy podman
image: podman
	rm -rf bin/image && mkdir -p bin/image
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(REVISION) -X $(BUILDINFO).date=$(CREATED)' \
		-o bin/image/bosa-gateway ./cmd/bosa-gateway
	cp /etc/ssl/certs/ca-certificates.crt bin/image/
	podman build -f Containerfile -t $(IMAGE) --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
		--build-arg CREATED=$(CREATED) bin/image

## test-deploy: the deploy module (deploy/go.mod, kept apart so the app does not depend on Helm and
## Kubernetes): builds and checks the container image, renders and validates the Helm chart.
test-deploy: podman
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 ./...

# podman builds the image (Debian's package; remote base images are never pulled).
podman:
	@command -v podman >/dev/null || { apt-get update -qq && apt-get install -y -qq podman; }
