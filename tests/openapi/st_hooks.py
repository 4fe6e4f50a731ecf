"""Schemathesis hooks (SCHEMATHESIS_HOOKS=st_hooks): reads Paginate's NDJSON answers, so that
response_schema_conformance checks the stream's lines too, not only JSON bodies."""

from __future__ import annotations

import json

import schemathesis


@schemathesis.deserializer("application/x-ndjson")
def ndjson(ctx, response):
    """Every line must be one JSON object with exactly one of result and error; the first line is
    handed to the schema check (the document's PaginateStreamLine)."""
    lines = [json.loads(line) for line in response.content.splitlines() if line.strip()]
    if not lines:
        raise ValueError("empty NDJSON stream")
    for line in lines:
        if not isinstance(line, dict) or len(line) != 1 or next(iter(line)) not in ("result", "error"):
            raise ValueError(f"NDJSON line is not {{result}} or {{error}}: {str(line)[:200]}")
    if any("error" in line for line in lines[:-1]):
        raise ValueError("an error line is not the stream's last line")
    return lines[0]
