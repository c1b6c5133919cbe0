"""Reading the API's error body {detail, code, field?, errors?} in tests."""

from __future__ import annotations


def error_fields(body: dict) -> set[str | None]:
    """The inputs the `errors` items name (None for a problem with the request as a whole)."""
    return {item.get("field") for item in body["errors"]}


def error_messages(body: dict, field: str | None) -> list[str]:
    """The messages about one input (None: about the request as a whole)."""
    return [item["message"] for item in body["errors"] if item.get("field") == field]
