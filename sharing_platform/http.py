"""Typing aid for views behind login_required: their request's user is a signed-in User."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """Only for annotations (`request: AuthenticatedHttpRequest`); Django still passes its HttpRequest."""

    user: User
