"""The OpenAPI contract: generated with validation, no warnings, every /api/v1/ route described,
errors in the project's shape, interactive docs served."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator, OAS30WriteValidator
from openapi_spec_validator import validate

from sharing_platform.api.exceptions import error_code_enums

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
    assert set(properties) == {"detail", "code", "field", "errors"}


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


# --- A contract a generator can use (issue 13, item 6) -------------------------------------------------


@pytest.fixture(scope="module")
def schema_json() -> dict:
    out = StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_schema_passes_openapi_spec_validator(schema_json):
    validate(schema_json)  # raises on any error (e.g. an email field whose default "" is not an email)


def test_schema_every_operation_has_a_summary(schema_json):
    missing = [f"{m.upper()} {p}" for p, m, o in _operations(schema_json) if not o.get("summary", "").strip()]
    assert missing == []


def _free_form(node, path: str, schemas: dict) -> list[str]:
    """Object or untyped schemas that say nothing of their contents."""
    found = []
    if isinstance(node, dict):
        if "$ref" not in node:
            untyped = not any(key in node for key in ("type", "$ref", "allOf", "oneOf", "anyOf", "enum"))
            extra = node.get("additionalProperties")
            composed = any(key in node for key in ("allOf", "oneOf", "anyOf"))
            bare_object = node.get("type") == "object" and not node.get("properties") and not isinstance(extra, dict)
            bare_object = bare_object and not composed
            untyped_value = untyped and path.rsplit("/", 2)[-2] in {"properties", "items", "schema"}
            if bare_object or extra == {} or untyped_value:
                found.append(path)
        for key, value in node.items():
            found += _free_form(value, f"{path}/{key}", schemas)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _free_form(value, f"{path}/{index}", schemas)
    return found


def test_schema_has_no_free_form_objects(schema_json):
    schemas = schema_json["components"]["schemas"]
    found = _free_form(schemas, "#/components/schemas", schemas) + _free_form(schema_json["paths"], "#/paths", schemas)
    assert found == []


def test_schema_request_bodies_are_json_except_uploads(schema_json):
    uploads = {
        "/api/v1/instruments/import/",
        "/api/v1/bookings/{id}/incidents/",
        "/api/v1/credit/entries/{id}/repairs/",
        "/api/v1/instruments/{id}/photos/",
    }
    for path, method, operation in _operations(schema_json):
        if "requestBody" not in operation:
            continue
        media_types = list(operation["requestBody"]["content"])
        expected = ["multipart/form-data"] if path in uploads else ["application/json"]
        assert media_types == expected, f"{method.upper()} {path}"


def test_schema_request_components_carry_no_read_only_fields(schema_json):
    schemas = schema_json["components"]["schemas"]
    bodies = set()
    for _path, _method, operation in _operations(schema_json):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            bodies.add(media["schema"]["$ref"].rpartition("/")[2])
    assert "BookingCreateRequest" in bodies
    offenders = [
        f"{name}.{prop}"
        for name in bodies
        for prop, spec in schemas[name].get("properties", {}).items()
        if spec.get("readOnly")
    ]
    assert offenders == []
    assert "id" not in schemas["OpeningHoursRequest"]["properties"]  # a nested body: sent without its id


def test_schema_error_component_requires_detail_and_code_from_one_enum(schema_json):
    schemas = schema_json["components"]["schemas"]
    error = schemas["Error"]
    assert set(error["required"]) == {"detail", "code"}
    assert error["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCodeEnum"}
    assert error["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/ErrorItem"}
    assert schemas["ErrorItem"]["required"] == ["message"]
    codes = schemas["ErrorCodeEnum"]["enum"]
    every = [member.value for enum in error_code_enums() for member in enum]
    assert codes == every
    assert len(codes) == len(set(codes)), "an error code is owned by two enums"
    assert {"invalid", "not_found", "slot_taken", "key_revoked", "invalid_credentials", "past"} <= set(codes)


def test_schema_documents_retry_after_and_idempotent_replayed(schema_json):
    partner_booking = schema_json["paths"]["/api/v1/partner/bookings/"]["post"]
    assert "Retry-After" in partner_booking["responses"]["429"]["headers"]
    assert "Idempotent-Replayed" in partner_booking["responses"]["201"]["headers"]
    assert "Idempotency-Key" in [p["name"] for p in partner_booking["parameters"] if p["in"] == "header"]
    for path, method, operation in _operations(schema_json):
        if "429" in operation["responses"]:
            assert "Retry-After" in operation["responses"]["429"].get("headers", {}), f"{method.upper()} {path}"
    replayed = {
        f"{m.upper()} {p}"
        for p, m, o in _operations(schema_json)
        if any("Idempotent-Replayed" in r.get("headers", {}) for r in o["responses"].values())
    }
    assert replayed == {
        "POST /api/v1/partner/users/",
        "POST /api/v1/partner/bookings/",
        "POST /api/v1/webhooks/",
        "POST /api/v1/credit/reports/",
    }


def test_schema_credit_tiers_are_an_enum(schema_json):
    schemas = schema_json["components"]["schemas"]
    assert schemas["CreditTierEnum"]["enum"] == ["excellent", "good", "fair", "poor", "bad"]
    tier = schemas["UnitBrief"]["properties"]["credit_tier"]
    assert {"$ref": "#/components/schemas/CreditTierEnum"} in tier["oneOf"]


def _media_examples(schema_json):
    for path, method, operation in _operations(schema_json):
        blocks = [("request", media) for media in operation.get("requestBody", {}).get("content", {}).values()]
        blocks += [
            (code, media) for code, r in operation["responses"].items() for media in r.get("content", {}).values()
        ]
        for where, media in blocks:
            for name, example in media.get("examples", {}).items():
                yield f"{method.upper()} {path} [{where}] {name}", where, media["schema"], example["value"]


def test_schema_every_example_matches_its_schema(schema_json):
    checked, wrong = 0, []
    for label, where, media_schema, value in _media_examples(schema_json):
        validator = OAS30WriteValidator if where == "request" else OAS30ReadValidator
        root = {**media_schema, "components": schema_json["components"]}
        errors = list(validator(root, format_checker=OAS30Validator.FORMAT_CHECKER).iter_errors(value))
        checked += 1
        if errors:
            wrong.append(f"{label}: {errors[0].message}")
    assert checked > 100
    assert wrong == []


def test_schema_examples_are_not_request_bodies_in_responses(schema_json):
    copies = []
    for path, method, operation in _operations(schema_json):
        requests = [
            example["value"]
            for media in operation.get("requestBody", {}).get("content", {}).values()
            for example in media.get("examples", {}).values()
        ]
        for code, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                copies += [
                    f"{method.upper()} {path} {code}"
                    for example in media.get("examples", {}).values()
                    if example["value"] in requests
                ]
    assert copies == []


def test_error_codes_every_enum_is_listed_and_raised_codes_are_members():
    """Each ErrorCode enum is in settings.API_ERROR_CODES, and no service passes a code as a bare string."""
    import ast
    from pathlib import Path

    from django.conf import settings

    from sharing_platform.errors import ErrorCode

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    for module in settings.API_ERROR_CODES:
        __import__(module.rpartition(".")[0])
    listed = {f"{enum.__module__}.{enum.__qualname__}" for enum in subclasses(ErrorCode) if len(enum)}
    assert listed == set(settings.API_ERROR_CODES)

    root = Path(settings.BASE_DIR)
    bare = []
    for source in root.glob("*/**/*.py"):
        if source.parts[len(root.parts)] in {".venv", "tests", "bench"} or "migrations" in source.parts:
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and "Error" in ast.unparse(node.func).rpartition(".")[2]:
                bare += [
                    f"{source.relative_to(root)}:{node.lineno}"
                    for keyword in node.keywords
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant)
                ]
    assert bare == []


def test_partner_guide_names_only_codes_the_server_sends():
    """docs/partners.md's table of codes: each is in the schema's enum and raised somewhere."""
    from pathlib import Path

    from django.conf import settings

    from sharing_platform.api.exceptions import CODE_BY_STATUS, error_codes

    root = Path(settings.BASE_DIR)
    guide = (root / "docs" / "partners.md").read_text(encoding="utf-8")
    table = guide[guide.index("| Status | Codes |") :].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", table))
    assert {"slot_taken", "idempotency_key_reused", "missing_scope", "key_revoked"} <= named
    assert named - set(error_codes()) == set()
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for path in root.glob("*/**/*.py")
        if path.parts[len(root.parts)] not in {".venv", "tests", "bench"} and path.name != "error_codes.py"
    )
    drf_codes = {str(code) for code in CODE_BY_STATUS.values()} | {"parse_error"}  # DRF's own refusals
    unsent = [code for code in named - drf_codes if f".{code.upper()}" not in sources]
    assert unsent == []
