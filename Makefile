# One command per job. `make test` is what CI runs (.ci/run) and what the README gives.
GO      ?= go
BUF     := $(GO) tool -modfile=tools/go.mod buf

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

.PHONY: all test test-go lint lint-proto generate check-generated run sandbox generate-clients test-python test-ts test-refclient

all: test

## test: everything CI checks, installing what it needs on a fresh machine.
test: lint lint-proto check-generated test-go fuzz test-python test-ts test-java test-refclient

## test-go: the Go test suite with the race detector.
test-go:
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

## run: the gateway with the embedded sandbox as its upstream.
run:
	$(GO) run ./cmd/bosa-gateway --sandbox

## sandbox: the BOSA sandbox alone, with the HTTP fault-control surface on.
sandbox:
	$(GO) run ./cmd/bosa-sandbox --control

# Files under gen/ that `make generate` writes; gen/openapi/openapi.go is hand-written (go:embed).
GENERATED := gen/bosa gen/openapi/bosa.swagger.json

## generate: regenerates gen/ and the client code from proto/ (buf and the protoc plugins are pinned Go tools; offline).
generate: generate-clients
	rm -rf $(GENERATED)
	$(BUF) generate

## check-generated: fails when gen/ or the client code differs from a fresh generation (stale, hand-edited or extra files).
check-generated: $(CLIENT_TOOLS)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(BUF) generate -o "$$tmp" && \
	diff -r -x openapi.go "$$tmp/gen" gen || { echo "gen/ is stale: run 'make generate'"; exit 1; }; \
	$(BUF) generate --template buf.gen.python.yaml -o "$$tmp" && \
	$(BUF) generate --template buf.gen.ts.yaml -o "$$tmp" && \
	diff -r -x __pycache__ "$$tmp/$(PY_GEN)" $(PY_GEN) && \
	diff -r "$$tmp/$(TS_GEN)" $(TS_GEN) || { echo "client code is stale: run 'make generate'"; exit 1; }; \
	diff $(PY_VENV)/lib/python3*/site-packages/google/api/field_behavior.proto proto/google/api/field_behavior.proto || \
		{ echo "proto/google/api/field_behavior.proto differs from the pinned googleapis-common-protos wheel's"; exit 1; }

## lint-proto: buf lint (STANDARD), buf format, and buf breaking (WIRE_JSON) against the frozen v1 baseline.
lint-proto:
	$(BUF) lint
	$(BUF) format --diff --exit-code
	$(BUF) breaking --against $(PROTO_BASELINE)

# The v1 protos as frozen (a buf image in JSON); see docs/api-design.md, "Freeze".
PROTO_BASELINE := proto/v1-baseline.json

## proto-baseline: rewrites the buf breaking baseline from proto/ (only for a reviewed, deliberate break).
.PHONY: proto-baseline
proto-baseline:
	$(BUF) build --exclude-source-info -o '-#format=json' | $(PYTHON) -c 'import json,sys; json.dump(json.load(sys.stdin), sys.stdout, indent=1, sort_keys=True); print()' > $(PROTO_BASELINE).tmp
	mv $(PROTO_BASELINE).tmp $(PROTO_BASELINE)

# Client tool installs (see the variables at the top).
$(PY_VENV)/bin/python:
	$(PYTHON) -m venv $(PY_VENV)

$(PY_VENV)/bin/protoc-gen-mypy_grpc: $(PY_VENV)/bin/python $(PY_DIR)/pyproject.toml $(PY_DIR)/constraints.txt
	$(PY_PIP) install -c $(PY_DIR)/constraints.txt './$(PY_DIR)[generate]'
	touch $@

$(TS_DIR)/node_modules/.package-lock.json: $(TS_DIR)/package.json $(TS_DIR)/package-lock.json
	cd $(TS_DIR) && npm ci --no-audit --no-fund

## generate-clients: regenerates the Python (clients/python/src/bosa) and TypeScript (clients/typescript/src/gen) code.
generate-clients: $(CLIENT_TOOLS)
	rm -rf $(PY_GEN)
	$(BUF) generate --template buf.gen.python.yaml
	$(BUF) generate --template buf.gen.ts.yaml

## test-python: installs clients/python with its test extra in clients/python/.venv and runs pytest against a real gateway.
test-python: $(PY_VENV)/bin/python
	$(PY_PIP) install -c $(PY_DIR)/constraints.txt './$(PY_DIR)[test]'
	cd $(PY_DIR) && .venv/bin/python -m pytest

## test-ts: installs clients/typescript (npm ci), compiles it and runs node's test runner against a real gateway.
test-ts:
	cd $(TS_DIR) && npm ci --no-audit --no-fund && npm test

## test-java: the Java client (clients/java): Maven generates the stubs from proto/ and runs JUnit against a real gateway.
.PHONY: test-java
test-java:
	cd clients/java && mvn -q -B test

## bench: builds the binaries, runs the benchmarks (sandbox and gateway as separate processes; about 6 minutes on
## 2 cores) and writes docs/benchmarks.md. BENCHFLAGS passes flags, e.g. BENCHFLAGS='-scenarios paginate'.
.PHONY: bench bench-compare
bench:
	$(GO) build -o bin/ ./cmd/bosa-sandbox ./cmd/bosa-gateway ./cmd/bosa-bench
	bin/bosa-bench -bin bin -out docs/benchmarks.md $(BENCHFLAGS)

## bench-compare: builds the gateway at BASE (a git ref, from `git archive`: the working tree is untouched) and the
## current tree's, runs the unary gRPC/REST cells with both alternately against one sandbox (about 3 minutes), and
## prints p50/p99/CPU per request side by side with new/base ratios; also written to bin/bench-compare.md.
## E.g. make bench-compare BASE=main; BENCHFLAGS adds flags (-cases, -concurrency, -repeat, -duration).
bench-compare:
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
