"""The OpenAPI contract: generated with validation, no warnings, every /api/v1/ route described,
errors in the project's shape, interactive docs served."""

from __future__ import annotations

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "/api/v1/"
ERROR_CODES = {"400", "401", "403", "404", "409", "429"}


def _routes(patterns, prefix: str = "") -> list[str]:
    """Every URL pattern as an OpenAPI-style path ({name} for each parameter)."""
    found = []
    for pattern in patterns:
        piece = str(pattern.pattern).lstrip("^").rstrip("$")
        piece = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", piece)  # regex routes (DRF routers)
        route = prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", piece)  # path() routes
        if isinstance(pattern, URLResolver):
            found.extend(_routes(pattern.url_patterns, route))
        elif isinstance(pattern, URLPattern):
            found.append(route)
    return found


@pytest.fixture(scope="module")
def schema() -> dict:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi", stdout=out)
    return yaml.safe_load(out.getvalue())


def test_schema_generates_and_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["paths"]


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_schema_describes_every_api_route(schema):
    routes = {
        _normalise("/" + route)
        for route in _routes(get_resolver().url_patterns)
        if ("/" + route).startswith(API_PREFIX) and "(?P<format>" not in route and "\\." not in route
    }
    described = {_normalise(path) for path in schema["paths"]}
    assert routes, "no /api/v1/ routes found"
    assert routes - described == set()


def test_schema_every_operation_documents_its_errors_in_the_error_shape(schema):
    error_ref = "#/components/schemas/Error"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            errors = ERROR_CODES & set(responses)
            assert errors, f"{method.upper()} {path} documents no error response"
            for code in errors:
                content = responses[code].get("content", {}).get("application/json", {})
                assert content.get("schema", {}).get("$ref") == error_ref, f"{method.upper()} {path} {code}"
            if method in {"post", "put", "patch"}:
                assert "400" in responses, f"{method.upper()} {path} takes input but documents no 400"
            if "{" in path:
                assert "404" in responses, f"{method.upper()} {path} has an id but documents no 404"


def test_schema_error_component_has_the_project_error_shape(schema):
    properties = schema["components"]["schemas"]["Error"]["properties"]
    assert {"detail", "code", "field", "errors"} <= set(properties)


def test_schema_main_endpoints_carry_examples(schema):
    def has_example(operation) -> bool:
        body = operation.get("requestBody", {}).get("content", {})
        responses = [r.get("content", {}) for code, r in operation["responses"].items() if code.startswith("2")]
        return any(
            "examples" in media or "example" in media for content in [body, *responses] for media in content.values()
        )

    main = [
        ("post", "/api/v1/bookings/"),
        ("get", "/api/v1/instruments/"),
        ("post", "/api/v1/partner/bookings/"),
        ("post", "/api/v1/partner/users/"),
        ("post", "/api/v1/webhooks/"),
        ("post", "/api/v1/credit/reports/"),
        ("post", "/api/v1/auth/token/"),
    ]
    missing = [f"{m.upper()} {p}" for m, p in main if not has_example(schema["paths"][p][m])]
    assert missing == []


def test_schema_and_docs_are_served(client, db):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
