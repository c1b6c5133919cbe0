"""Measuring a request's queries, for the tests that pin a list's query count as its data grows."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import connection
from django.test.utils import CaptureQueriesContext

Result = TypeVar("Result")


def queries_of(fetch: Callable[[], Result]) -> tuple[int, Result]:
    """Run ``fetch`` once and return how many queries it made, with what it returned."""
    with CaptureQueriesContext(connection) as captured:
        result = fetch()
    return len(captured), result


def ids_in(body: str, urls: list[str]) -> list[str]:
    """The URLs of ``urls`` missing from a page's ``body`` (empty when the page lists them all)."""
    return [url for url in urls if url not in body]
