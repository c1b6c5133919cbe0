"""Signed webhooks: URL checks, signing, fan-out of events to endpoints, and one delivery attempt.

Signature: HMAC-SHA256 with the endpoint's secret over f"{timestamp}.{body}", sent as
`X-Webhook-Signature: sha256=<hex>` with `X-Webhook-Timestamp` (Unix seconds) and `X-Webhook-Id`
(the delivery's event id, stable across retries so receivers can drop duplicates). Receivers
recompute the HMAC and refuse timestamps older than a few minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform import outbox

from .models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Webhook-Signature"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
ID_HEADER = "X-Webhook-Id"
EVENT_HEADER = "X-Webhook-Event"
USER_AGENT = "InstrumentSharingPlatform-Webhooks/1"


def secret_generate() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """The value of X-Webhook-Signature for this body at this timestamp."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


# --- URL checks -------------------------------------------------------------------------------


def allow_private_urls() -> bool:
    """Development and tests deliver to localhost; production (DEBUG off) refuses internal addresses."""
    return bool(getattr(settings, "PARTNERS_WEBHOOK_ALLOW_PRIVATE_URLS", settings.DEBUG))


def _address_is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def url_problem(url: str) -> str | None:
    """Why this URL cannot receive webhooks, or None. Resolves the host when internal addresses are refused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _("This is not a valid URL.")
    if parts.scheme not in {"http", "https"}:
        return _("The URL must start with https:// or http://.")
    if not parts.hostname:
        return _("The URL must name a host.")
    if parts.username or parts.password:
        return _("The URL must not contain credentials.")
    if allow_private_urls():
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        return _("The host name does not resolve.")
    if any(_address_is_internal(str(info[4][0])) for info in infos):
        return _("The URL points at a private, loopback or link-local address.")
    return None


# --- Fan-out ----------------------------------------------------------------------------------


def deliveries_create(*, endpoints, event: str, event_id: str, data: dict) -> list[WebhookDelivery]:
    """One delivery per endpoint that wants the event, each queued in the outbox (sent after commit).

    Idempotent per event_id."""
    created = []
    payload_base = {"id": event_id, "type": event, "created_at": timezone.now().isoformat()}
    for endpoint in endpoints:
        if event not in endpoint.events:
            continue
        payload = json.loads(json.dumps({**payload_base, "data": data}, cls=DjangoJSONEncoder))
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    endpoint=endpoint, event=event, event_id=event_id, payload=payload
                )
        except IntegrityError:  # this fact was already sent to this endpoint
            continue
        created.append(delivery)
    if created:
        from .tasks import deliver_webhook

        for delivery in created:
            outbox.enqueue(deliver_webhook, delivery.pk)
    return created


def active_endpoints(*, event: str, partner_ids=None):
    queryset = WebhookEndpoint.objects.filter(is_active=True, partner__is_active=True).select_related("partner")
    if partner_ids is not None:
        queryset = queryset.filter(partner_id__in=partner_ids)
    # JSON "contains" is not portable to SQLite; the list per event is small, filter in Python.
    return [endpoint for endpoint in queryset if event in endpoint.events]


# --- Delivery ---------------------------------------------------------------------------------


def max_attempts() -> int:
    return int(getattr(settings, "PARTNERS_WEBHOOK_MAX_ATTEMPTS", 6))


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff: 2, 4, 8, 16 ... seconds after attempt 1, 2, 3, 4 ..."""
    return timedelta(seconds=2**attempt)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: following it could lead to an internal address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_RefuseRedirects)


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> int:
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - scheme checked by url_problem (http/https only)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            ID_HEADER: delivery.event_id,
            EVENT_HEADER: delivery.event,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
        },
    )
    timeout = float(getattr(settings, "PARTNERS_WEBHOOK_TIMEOUT_SECONDS", 5))
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def delivery_attempt(delivery_id: int) -> WebhookDelivery | None:
    """Try one delivery once and log the outcome. Returns it with next_retry_at set when to retry."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint", "endpoint__partner")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in {WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED}:
            return None
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
    endpoint = delivery.endpoint
    code, error = None, ""
    if not endpoint.is_active or not endpoint.partner.is_active:
        error = "endpoint disabled"
    else:
        problem = url_problem(endpoint.url)  # again at send time: DNS may have changed since registration
        if problem:
            error = str(problem)
        else:
            try:
                code = _post(endpoint, delivery)
            except (OSError, ValueError) as exc:  # timeouts, refused connections, TLS errors
                error = f"{type(exc).__name__}: {exc}"[:1000]
    now = timezone.now()
    delivery.response_code = code
    delivery.last_error = error
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at, delivery.next_retry_at = WebhookDelivery.Status.SUCCEEDED, now, None
    elif delivery.attempts >= max_attempts() or error == "endpoint disabled":
        delivery.status, delivery.next_retry_at = WebhookDelivery.Status.FAILED, None
    else:
        delivery.status = WebhookDelivery.Status.RETRYING
        delivery.next_retry_at = now + retry_delay(delivery.attempts)
    delivery.save(update_fields=["status", "response_code", "last_error", "delivered_at", "next_retry_at"])
    logger.info(
        "webhook delivery %s attempt %s to endpoint %s: %s (code %s) %s",
        delivery.pk,
        delivery.attempts,
        endpoint.pk,
        delivery.status,
        code,
        error,
    )
    return delivery


def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """An admin sends a delivery again (after the receiver was fixed): attempts start over."""
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_retry_at=None, delivered_at=None
        )
        from .tasks import deliver_webhook

        outbox.enqueue(deliver_webhook, delivery.pk)
    delivery.refresh_from_db()
    return delivery
