"""The OpenAPI contract's project-wide parts (docs/api.md describes the pattern).

Every API view answers errors through `sharing_platform.api.exceptions.api_exception_handler`, so
the error responses an operation can give follow from how the view is configured: `ProjectAutoSchema`
documents them for every operation (400/401/403/404/409/429, with `Retry-After` on 429), in the one
`Error` component whose `code` is the `ErrorCodeEnum` (every member of settings.API_ERROR_CODES),
leaving any response a view documents itself untouched. A view method marked `@idempotent_operation`
(partners' `@idempotent` is) gets the `Idempotency-Key` request header and the `Idempotent-Replayed`
response header documented.
"""

from __future__ import annotations

import copy

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .exceptions import error_code_enums, error_codes

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_METHODS = {"POST", "PUT", "PATCH"}
PAGE_PARAMETERS = {"page", "page_size", "cursor"}
PARTNER_KEY_SCHEME = "partnerApiKey"  # partners/schema.py
ERROR_CODE_COMPONENT = "ErrorCodeEnum"

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
IDEMPOTENT_REPLAYED_HEADER = "Idempotent-Replayed"
RETRY_AFTER_HEADER = "Retry-After"


class ErrorItemSerializer(serializers.Serializer):
    """One problem among several."""

    message = serializers.CharField(help_text="The problem in words.")
    field = serializers.CharField(
        required=False, help_text="The input at fault (dotted for nested input, e.g. hours.2.opens; a column)."
    )
    code = serializers.CharField(
        required=False, help_text="What kind of problem: a validator's code (required, max_length...) or a rule."
    )
    row = serializers.IntegerField(required=False, help_text="The row of an imported file (the header is row 1).")


class ErrorSerializer(serializers.Serializer):
    """The one error body of every refusal: {detail, code, field?, errors?}."""

    detail = serializers.CharField(help_text="A message a person understands.")
    code = serializers.CharField(help_text="A stable code a program can branch on (the ErrorCodeEnum).")
    field = serializers.CharField(required=False, help_text="The input at fault, if one is.")
    errors = ErrorItemSerializer(many=True, required=False, help_text="Every problem, when there are several.")  # type: ignore[assignment]  # a declared field, not Serializer.errors


ERROR_EXAMPLES = {
    400: {
        "detail": "end: The end must be after the start.",
        "code": "invalid",
        "field": "end",
        "errors": [{"field": "end", "code": "invalid", "message": "The end must be after the start."}],
    },
    401: {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"},
    403: {"detail": "You do not have permission to perform this action.", "code": "permission_denied"},
    404: {"detail": "Not found.", "code": "not_found"},
    409: {"detail": "That time is already taken by another booking of this instrument.", "code": "slot_taken"},
    429: {"detail": "Request was throttled. Expected available in 12 seconds.", "code": "throttled"},
}
ERROR_DESCRIPTIONS = {
    400: "Invalid input (body or query parameters).",
    401: "Missing or invalid credentials (token, session or API key).",
    403: "Authenticated but not allowed; a partner key without the needed scope gets a message naming it.",
    404: "No such object visible to you (in the path, or named in the body or a filter), or an invalid page.",
    409: "The request clashes with the current state (a taken slot, a wrong state, a reused idempotency key).",
    429: "Too many requests; wait as many seconds as the Retry-After header says.",
}
RETRY_AFTER = {
    "required": True,
    "description": "Seconds to wait before the next request.",
    "schema": {"type": "integer", "minimum": 0},
}
IDEMPOTENT_REPLAYED = {
    "description": "`true` when this is the stored response of an earlier request with the same Idempotency-Key "
    "(nothing new was created); absent otherwise.",
    "schema": {"type": "string", "enum": ["true"]},
}
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=IDEMPOTENCY_KEY_HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique string per logical request (e.g. a UUID), 1 to 255 characters. Retrying with the same key and "
        "body replays the first response (with `Idempotent-Replayed: true`) instead of creating a second object; "
        "the same key with a different body is refused with 409. Keys are remembered for 24 hours."
    ),
)


def idempotent_operation(view_method):
    """Mark a view method that honours the Idempotency-Key header, so the schema documents both headers."""
    view_method.idempotent_operation = True
    return view_method


def _is_public(permission) -> bool:
    return isinstance(permission, AllowAny) or getattr(permission, "public_read", False)


def _plain_blank_string(schema: dict) -> dict | None:
    """drf-spectacular writes an e-mail or URL that may be blank as oneOf [formatted, maxLength 0], and puts
    the default "" into the formatted branch, where "" is invalid. One plain string says the same."""
    branches = schema.get("oneOf") or []
    formatted = [branch for branch in branches if branch.get("format") in {"email", "uri"}]
    if len(branches) != 2 or not formatted or not any(branch.get("maxLength") == 0 for branch in branches):
        return None
    plain = {key: value for key, value in formatted[0].items() if key != "format"}
    return {**{key: value for key, value in schema.items() if key != "oneOf"}, **plain}


def _blank_model_choice(field) -> bool:
    """A read-only choice field of a ModelSerializer whose model field may be blank."""
    if not isinstance(field, serializers.ChoiceField) or not field.read_only or field.allow_blank:
        return False
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return bool(model._meta.get_field(field.source).blank)
    except FieldDoesNotExist:
        return False


class ProjectAutoSchema(AutoSchema):
    """AutoSchema plus the error responses and headers each operation can give, in the project's shapes.

    Precisions the fuzzer (tests/api/test_fuzz.py) asked for: `<int:...>` routes match digits only
    (minimum 0), and an email or URL that may be blank (or is only ever output) carries no `format`,
    since "" is not a valid email.
    """

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter.get("schema", {}).get("type") == "integer":
                parameter["schema"]["minimum"] = 0
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        properties = schema.get("properties", {})
        for name, field in serializer.fields.items():
            key = field.field_name or name
            plain = _plain_blank_string(properties.get(key, {}))
            if plain is not None:
                properties[key] = plain
            may_be_blank = getattr(field, "allow_blank", False) or field.read_only
            if may_be_blank and properties.get(key, {}).get("format") in {"email", "uri"}:
                properties[key].pop("format")
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if _blank_model_choice(field):
            # DRF drops allow_blank from the read-only fields a ModelSerializer builds; the value may still be "".
            field = copy.copy(field)
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _view_method(self):
        return getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)

    def _is_idempotent(self) -> bool:
        return bool(getattr(self._view_method(), "idempotent_operation", False))

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._is_idempotent() and all(getattr(p, "name", None) != IDEMPOTENCY_KEY_HEADER for p in parameters):
            parameters = [*parameters, IDEMPOTENCY_KEY_PARAMETER]
        return parameters

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        permissions = self.view.get_permissions()
        security = operation.get("security", [])
        if not any(hasattr(permission, "scope") for permission in permissions):
            # A view taking keys for its reads only (the catalogue): its writes are for people.
            security[:] = [requirement for requirement in security if PARTNER_KEY_SCHEME not in requirement]
        if any(getattr(permission, "public_read", False) for permission in permissions) and {} not in security:
            security.append({})  # open to anonymous callers too
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            responses.setdefault(
                str(code),
                {
                    "description": ERROR_DESCRIPTIONS[code],
                    "content": {
                        "application/json": {
                            "schema": error,
                            "examples": {"Error": {"value": ERROR_EXAMPLES[code]}},
                        }
                    },
                },
            )
        if "429" in responses:
            responses["429"].setdefault("headers", {})[RETRY_AFTER_HEADER] = RETRY_AFTER
        if self._is_idempotent():
            for status_code, response in responses.items():
                if status_code.startswith("2"):
                    response.setdefault("headers", {})[IDEMPOTENT_REPLAYED_HEADER] = IDEMPOTENT_REPLAYED
        return operation

    def _error_codes(self, operation: dict) -> list[int]:
        query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        has_path_parameters = any(p["in"] == "path" for p in operation.get("parameters", []))
        authenticators = self.view.get_authenticators()
        public = all(_is_public(permission) for permission in self.view.get_permissions())
        codes = []
        if self.method in BODY_METHODS or query - PAGE_PARAMETERS:
            codes.append(400)
        if authenticators:
            codes.append(401)  # a bad token or key is refused even where anonymous access is allowed
        if (
            not public
            or self.method in UNSAFE_METHODS
            or any(getattr(permission, "public_read", False) for permission in self.view.get_permissions())
        ):
            codes.append(403)
        if has_path_parameters or query or "requestBody" in operation:
            codes.append(404)  # the object in the path, or one the body or a filter names; or a bad page
        if self.method in UNSAFE_METHODS:
            codes.append(409)
        if self.view.get_throttles():
            codes.append(429)
        return codes


def _referenced_types(schema: dict, schemas: dict) -> set[str]:
    types = set()
    for branch in [*schema.get("allOf", []), *schema.get("oneOf", []), *schema.get("anyOf", [])]:
        target = schemas.get(branch.get("$ref", "").rpartition("/")[2], branch)
        if target.get("type"):
            types.add(target["type"])
        elif target.get("enum") != [None]:  # NullEnum: the null branch itself
            types.add("?")
    return types


def _nullable_with_type(node, schemas: dict) -> None:
    """OpenAPI 3.0.3: `nullable` only counts next to `type`. drf-spectacular writes a nullable reference as
    {allOf: [$ref], nullable: true} (or oneOf [$ref, NullEnum]); give it the type of what it refers to."""
    if isinstance(node, dict):
        if node.get("nullable") and "type" not in node:
            types = _referenced_types(node, schemas)
            if len(types) == 1 and "?" not in types:
                node["type"] = types.pop()
        for value in node.values():
            _nullable_with_type(value, schemas)
    elif isinstance(node, list):
        for value in node:
            _nullable_with_type(value, schemas)


def postprocess_schema(result, generator, request, public):
    """drf-spectacular hook: the `Error` component's `code` is the enum of every code the API answers, and
    every nullable schema carries its type."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    _nullable_with_type(result, schemas)
    groups = "; ".join(f"{enum.__name__}: {', '.join(member.value for member in enum)}" for enum in error_code_enums())
    schemas[ERROR_CODE_COMPONENT] = {
        "type": "string",
        "enum": error_codes(),
        "description": f"Every error code, by the enum that owns it. {groups}.",
    }
    if "Error" in schemas:
        schemas["Error"]["properties"]["code"] = {"$ref": f"#/components/schemas/{ERROR_CODE_COMPONENT}"}
    return result
