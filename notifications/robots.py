"""The two robot services: address checks, each service's signing, rendering, and one delivery attempt.

- WeCom (企业微信) group robot: POST JSON to https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<key>;
  the key in the URL is the credential.
- DingTalk (钉钉) group robot with "additional signature": POST JSON to
  https://oapi.dingtalk.com/robot/send?access_token=<token>&timestamp=<ms>&sign=<sign>, where sign is
  urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))), valid for one hour.

Both answer HTTP 200 with {"errcode": 0, "errmsg": "ok"}; a non-zero errcode is a refusal. Rate limits
(WeCom 45009, DingTalk 130101), HTTP 5xx and network errors are retried with exponential backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, quote_plus, urlsplit

import requests
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .models import RobotMessage, RobotWebhook

RETRYABLE_ERRCODES = {45009, 130101, -1}  # WeCom: too many calls; DingTalk: sending too fast; both: busy
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def dingtalk_sign(secret: str, timestamp_ms: int | str) -> str:
    """DingTalk's signature for a timestamp in milliseconds (already URL-encoded, as DingTalk documents it)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    return f"{url}&timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def url_problem(service: str, url: str) -> str | None:
    """Why this address cannot be a robot of that service, or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return _("This is not a valid address.")
    allowed = set(getattr(settings, "NOTIFICATIONS_ROBOT_HOSTS", []))
    host = (parts.hostname or "").lower()
    if host not in allowed:
        return _("Robot addresses must be on %(hosts)s.") % {"hosts": ", ".join(sorted(allowed))}
    if parts.scheme != "https" and not (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return _("The address must start with https://.")
    if parts.username or parts.password:
        return _("The address must not contain credentials.")
    query = parse_qs(parts.query)
    if service == RobotWebhook.Service.WECOM and not query.get("key"):
        return _("A WeCom robot address ends with ?key=... (copy it from the group's robot settings).")
    if service == RobotWebhook.Service.DINGTALK and not query.get("access_token"):
        return _("A DingTalk robot address ends with ?access_token=... (copy it from the group's robot settings).")
    return None


@dataclass(frozen=True)
class RenderedMessage:
    title: str
    text: str


def _in_language(value, language: str):
    """A context value given per language ({"zh-hans": ..., "en": ...}) in the robot's language."""
    if isinstance(value, dict) and value and set(value) <= set(RobotWebhook.Language.values):
        return value.get(language) or next((text for text in value.values() if text), "")
    return value


def message_render(message: RobotMessage) -> RenderedMessage:
    """Markdown in the robot's language, from notifications/robot/<event>.txt."""
    language = message.webhook.language
    context = {key: _in_language(value, language) for key, value in message.context.items()}
    with translation.override(language):
        text = render_to_string(f"notifications/robot/{message.event}.txt", context).strip()
    title = text.splitlines()[0].lstrip("# ").strip() if text else message.event
    return RenderedMessage(title=title[:64], text=text)


def payload_build(webhook: RobotWebhook, rendered: RenderedMessage) -> dict:
    if webhook.service == RobotWebhook.Service.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": rendered.title, "text": rendered.text}}
    return {"msgtype": "markdown", "markdown": {"content": rendered.text}}


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    retryable: bool
    error: str = ""


def post_message(webhook: RobotWebhook, rendered: RenderedMessage, *, secret: str = "") -> AttemptResult:
    """One POST to the robot; whether it was accepted, and if not whether trying again may help."""
    url = webhook.url
    if webhook.service == RobotWebhook.Service.DINGTALK:
        url = dingtalk_signed_url(url, secret)
    timeout = float(getattr(settings, "NOTIFICATIONS_ROBOT_TIMEOUT_SECONDS", 5))
    try:
        response = requests.post(
            url,
            data=json.dumps(payload_build(webhook, rendered), ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return AttemptResult(ok=False, retryable=True, error=f"{type(error).__name__}: {error}"[:500])
    if response.status_code >= 500 or response.status_code == 429:
        return AttemptResult(ok=False, retryable=True, error=f"HTTP {response.status_code}")
    if response.status_code != 200:
        return AttemptResult(ok=False, retryable=False, error=f"HTTP {response.status_code}")
    try:
        body = response.json()
        errcode = int(body.get("errcode", -1))
    except (ValueError, TypeError, AttributeError):
        return AttemptResult(ok=False, retryable=True, error=f"unreadable answer: {response.text[:200]}")
    if errcode == 0:
        return AttemptResult(ok=True, retryable=False)
    return AttemptResult(
        ok=False, retryable=errcode in RETRYABLE_ERRCODES, error=f"errcode {errcode}: {body.get('errmsg', '')}"[:500]
    )
