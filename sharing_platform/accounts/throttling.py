"""Sign-in throttling with django-axes: failed sign-ins are counted per account and per client address
in the database (so every gunicorn worker and every host sees the same counts), and a client over either
limit is refused for a cool-off period on every sign-in path (API token, sign-in page, Django admin).

Platform admins unlock in the Django admin (Axes > Access attempts: delete the rows) or with
``python manage.py axes_reset_username <username>`` / ``axes_reset_ip <address>`` / ``axes_reset``.
"""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .error_codes import AccountErrorCode


def client_ip(request: HttpRequest) -> str:
    """The client's address, as the outermost trusted proxy saw it.

    Production runs gunicorn behind TRUSTED_PROXY_COUNT reverse proxies (one TLS-terminating proxy by
    default), each appending the address it received the request from to X-Forwarded-For. gunicorn leaves
    REMOTE_ADDR as the nearest proxy's address, so the client is the entry TRUSTED_PROXY_COUNT places from
    the right; anything further left was written by the client and can be forged. With no proxy (0, the
    development server) REMOTE_ADDR is the client. The same rule as DRF's NUM_PROXIES, set alike.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote
    return forwarded[-min(count, len(forwarded))]


class SignInThrottleBackend(AxesStandaloneBackend):
    """Axes' guard in front of ModelBackend. A call to authenticate() without a request (a management
    command, the test client's login) does not come from a client, so there is nothing to throttle."""

    def authenticate(self, request: HttpRequest | None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class SignInThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with one limit per lockout parameter (SIGNIN_FAILURE_LIMITS).

    Axes compares the largest failure count over its parameters with one AXES_FAILURE_LIMIT. A whole
    campus may share one address, so the address gets a higher limit than an account: each parameter's
    count is scaled to AXES_FAILURE_LIMIT (floor(count * limit / own limit) reaches AXES_FAILURE_LIMIT
    exactly when count reaches its own limit).
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        account_limit = settings.AXES_FAILURE_LIMIT
        parameters = get_lockout_parameters(request, credentials)
        scaled = 0
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            # A combined parameter (a list, e.g. username and address together) takes the account limit.
            own_limit = (
                settings.SIGNIN_FAILURE_LIMITS.get(parameter, account_limit)
                if isinstance(parameter, str)
                else account_limit
            )
            scaled = max(scaled, failures * account_limit // own_limit)
        return scaled

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """After a successful sign-in, forget only this account's failures from this address: Axes' own
        reset would also clear the address's count for every account (an attacker signing in to their own
        account between guesses would never be throttled by address)."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 with Retry-After: the project's JSON error shape on the API, a page elsewhere (sign-in, admin)."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    minutes = max(1, math.ceil(seconds / 60))
    message = _(
        "Too many failed sign-in attempts for this account or from this address. Signing in is paused for "
        "%(minutes)d minutes; try again later, or ask a platform administrator to unlock it."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": message, "code": AccountErrorCode.SIGNIN_LOCKED, "retry_after": seconds}, status=429
        )
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response
