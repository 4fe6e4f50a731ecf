// Offline checks of the client layer: error decoding and JSON conversion.
import assert from "node:assert/strict";
import { it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BosaError, toJsonValue } from "@bosa/gateway-client";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "@bosa/gateway-client/gen/google/rpc/error_details_pb";

it("BosaError reads ErrorInfo, BadRequest and RetryInfo", () => {
  const cause = new ConnectError("slow down", Code.ResourceExhausted, undefined, [
    { desc: ErrorInfoSchema, value: { reason: "RATE_LIMITED", domain: "bosa.dev", metadata: { upstream_status: "429" } } },
    { desc: BadRequestSchema, value: { fieldViolations: [{ field: "input.x", description: "bad" }] } },
    { desc: RetryInfoSchema, value: { retryDelay: { seconds: 2n, nanos: 500_000_000 } } },
  ]);
  const err = BosaError.from(cause);
  assert.equal(err.code, Code.ResourceExhausted);
  assert.equal(err.reason, "RATE_LIMITED");
  assert.equal(err.domain, "bosa.dev");
  assert.deepEqual(err.metadata, { upstream_status: "429" });
  assert.deepEqual(err.fieldViolations, { "input.x": "bad" });
  assert.equal(err.retryDelayMs, 2500);
  assert.equal(err.rawMessage, "slow down");
  assert.equal(err.message, "ResourceExhausted [RATE_LIMITED]: slow down");
  assert.equal(err.cause, cause);
  assert.equal(BosaError.from(err), err);
});

it("BosaError without details has an empty reason", () => {
  const err = BosaError.from(new Error("socket hang up"));
  assert.equal(err.code, Code.Unknown);
  assert.equal(err.reason, "");
  assert.deepEqual(err.metadata, {});
  assert.equal(err.retryDelayMs, undefined);
});

it("toJsonValue converts google.protobuf.Value", () => {
  assert.equal(toJsonValue(undefined), null);
  assert.equal(toJsonValue(create(ValueSchema)), null);
  const v = create(ValueSchema, { kind: { case: "listValue", value: { values: [{ kind: { case: "numberValue", value: 1 } }, { kind: { case: "stringValue", value: "x" } }] } } });
  assert.deepEqual(toJsonValue(v), [1, "x"]);
});
