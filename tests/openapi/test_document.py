"""The served /openapi.json is the generated document and a valid OpenAPI 3.1 document."""

from __future__ import annotations

import json
import urllib.request

from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from conftest import REPO


def test_served_document_is_valid_openapi_31(gateway: str) -> None:
    with urllib.request.urlopen(gateway + "/openapi.json", timeout=30) as resp:
        assert resp.headers["Content-Type"] == "application/json"
        served = json.load(resp)
    generated = json.loads((REPO / "gen/openapi/bosa.openapi.json").read_text())
    assert served == generated
    assert served["openapi"] == "3.1.0"
    validate(served, cls=OpenAPIV31SpecValidator)


def test_document_declares_what_clients_need() -> None:
    doc = json.loads((REPO / "gen/openapi/bosa.openapi.json").read_text())
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKey"]["in"] == "header" and schemes["apiKey"]["name"] == "x-api-key"
    execute = doc["paths"]["/v1/connectors/{connector}/actions/{action}:execute"]["post"]
    assert {"$ref": "#/components/parameters/BosaIntegration"} in execute["parameters"]
    for code in ("400", "401", "403", "404", "429", "500", "503"):
        assert execute["responses"][code] == {"$ref": "#/components/responses/Error"}
    paginate = doc["paths"]["/v1/connectors/{connector}/actions/{action}:paginate"]["post"]
    assert list(paginate["responses"]["200"]["content"]) == ["application/x-ndjson"]
    meta = doc["components"]["schemas"]["v1ExecuteActionResponse"]["properties"]["meta"]
    assert "null" in meta["type"], "the server writes an absent meta as null"
