"""The OpenAPI contract's project-wide parts: the error body and the error responses of every operation.

Every API view answers errors through `sharing_platform.api.exceptions.api_exception_handler`, so
the error responses an operation can give follow from how the view is configured; `ProjectAutoSchema`
documents them for every operation (400/401/403/404/409/429), leaving any response a view
documents itself (with its own description) untouched.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_METHODS = {"POST", "PUT", "PATCH"}
PAGE_PARAMETERS = {"page", "page_size", "cursor"}
PARTNER_KEY_SCHEME = "partnerApiKey"  # partners/schema.py


class ErrorSerializer(serializers.Serializer):
    """The error body: {detail, code, field?, errors?}. Input validation may instead map fields to
    lists of messages ({"start": ["This field is required."]})."""

    detail = serializers.CharField(required=False, help_text="A message a person understands.")
    code = serializers.CharField(
        required=False, help_text="A stable code a client can branch on (invalid, not_found, conflict...)."
    )
    field = serializers.CharField(required=False, help_text="The input at fault, if one is.")
    errors = serializers.JSONField(required=False, help_text="Structured detail: messages per field or per row.")


ERROR_EXAMPLES = {
    400: {"detail": "end: End must be after start.", "code": "invalid", "field": "end"},
    401: {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"},
    403: {"detail": "You do not have permission to perform this action.", "code": "permission_denied"},
    404: {"detail": "Not found.", "code": "not_found"},
    409: {"detail": "That time is already taken by another booking.", "code": "conflict"},
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


def _is_public(permission) -> bool:
    return isinstance(permission, AllowAny) or getattr(permission, "public_read", False)


class ProjectAutoSchema(AutoSchema):
    """AutoSchema plus the error responses each operation can give, in the project's error shape.

    Two precisions the fuzzer (tests/api/test_fuzz.py) asked for: `<int:...>` routes match digits
    only (minimum 0), and an email or URL that may be blank (or is only ever output) carries no
    `format`, since "" is not a valid email.
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
            may_be_blank = getattr(field, "allow_blank", False) or field.read_only
            if may_be_blank and properties.get(field.field_name or name, {}).get("format") in {"email", "uri"}:
                properties[field.field_name or name].pop("format")
        return schema

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
