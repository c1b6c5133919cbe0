"""Pagination that never runs COUNT(*): it fetches one row more than the page to know if a next exists.

A full count on every page is what makes offset pagination slow on large tables.
"""

from collections import OrderedDict

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

# The largest OFFSET + LIMIT the databases accept (a signed 64-bit integer, PostgreSQL's bigint and
# SQLite's INTEGER): a page beyond it cannot hold rows, and asking the database for it fails.
MAX_ROW_INDEX = 2**63 - 1


class CheapPageNumberPagination(BasePagination):
    page_size = 20
    max_page_size = 100
    page_query_param = "page"
    page_size_query_param = "page_size"

    def _positive_int(self, raw, default: int, cap: int | None = None) -> int:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            return default
        if value < 1:
            return default
        return min(value, cap) if cap else value

    def page_bounds(self, request) -> tuple[int, int]:
        """(offset, page size) of the requested page; 404 for a page that cannot exist."""
        self.request = request
        self.page_size_value = self._positive_int(
            request.query_params.get(self.page_size_query_param), self.page_size, self.max_page_size
        )
        raw_page = request.query_params.get(self.page_query_param, "1")
        try:
            self.page_number = int(raw_page)
        except ValueError:  # also digits beyond Python's int-parsing limit
            raise NotFound(_("Invalid page.")) from None
        offset = (self.page_number - 1) * self.page_size_value
        if self.page_number < 1 or offset + self.page_size_value + 1 > MAX_ROW_INDEX:
            raise NotFound(_("Invalid page."))
        return offset, self.page_size_value

    def page_found(self, rows: list, has_next: bool) -> list:
        """Records a page read elsewhere (page_bounds() first): an empty page beyond the first is a 404."""
        self.has_next = has_next
        if not rows and self.page_number > 1:
            raise NotFound(_("Invalid page."))
        return rows

    def paginate_queryset(self, queryset, request, view=None):
        offset, size = self.page_bounds(request)
        rows = list(queryset[offset : offset + size + 1])
        return self.page_found(rows[:size], len(rows) > size)

    def get_next_link(self):
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.page_number + 1)

    def get_previous_link(self):
        if self.page_number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.page_number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.page_number - 1)

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("page", self.page_number),
                    ("page_size", self.page_size_value),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                # Examples let the schema show paginated examples.
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "https://host/api/v1/x/?page=3",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "https://host/api/v1/x/?page=1",
                },
                "page": {"type": "integer", "example": 2},
                "page_size": {"type": "integer", "example": 20},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.page_query_param, "required": False, "in": "query", "schema": {"type": "integer"}},
            {"name": self.page_size_query_param, "required": False, "in": "query", "schema": {"type": "integer"}},
        ]


class NewestFirstCursorPagination(CursorPagination):
    """For long, growing lists (bookings, ledger events): stable under inserts, no COUNT."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")

    def get_paginated_response_schema(self, schema):
        body = super().get_paginated_response_schema(schema)
        # DRF's examples end in a stray quote, which is not a URI.
        body["properties"]["next"]["example"] = "https://host/api/v1/x/?cursor=cD0yMDI2LTA1LTA0"
        body["properties"]["previous"]["example"] = "https://host/api/v1/x/?cursor=cj0xJnA9MjAyNi0wNS0wNA"
        return body
