"""``GET /healthz``: is this process able to serve? Used by the container health check and monitors.

No authentication, never cached. Checks the database (``SELECT 1``) and the Celery broker (a Redis
``PING`` with a short timeout; other brokers: one connection attempt through kombu). Without a
broker URL tasks run in-process and the broker is reported as ``"in-process"``.

200 ``{"status": "ok", "checks": {"database": "ok", "broker": "ok" | "in-process"}}``
503 ``{"status": "error", "checks": {..., "<name>": "down"}, "down": ["<name>", ...]}``

The reason a check failed goes to the log, not to the anonymous caller.
"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Seconds to wait for the broker; a health check must answer quickly even when it is down.
BROKER_TIMEOUT_SECONDS = 1.0

OK = "ok"
DOWN = "down"
IN_PROCESS = "in-process"


def database_check() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def broker_check() -> str:
    url = settings.CELERY_BROKER_URL
    if not url:
        return IN_PROCESS
    if urlsplit(url).scheme in {"redis", "rediss", "unix"}:
        import redis

        client = redis.Redis.from_url(
            url, socket_timeout=BROKER_TIMEOUT_SECONDS, socket_connect_timeout=BROKER_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
        return OK
    from kombu import Connection

    with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    return OK


CHECKS = {"database": database_check, "broker": broker_check}


@never_cache
@require_safe
def healthz(request):
    checks: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            checks[name] = check()
        except Exception as exc:  # any failure means "down"; the reason is logged, not shown
            logger.warning("health check %s failed: %s: %s", name, type(exc).__name__, exc)
            checks[name] = DOWN
    down = [name for name, result in checks.items() if result == DOWN]
    if down:
        return JsonResponse({"status": "error", "checks": checks, "down": down}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
