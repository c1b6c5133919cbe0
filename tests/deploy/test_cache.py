"""The shared cache: Redis when CACHE_URL is set (production), process memory otherwise."""

import os
import subprocess
import sys
import uuid

from django.conf import settings


def test_cache_defaults_to_process_memory_without_cache_url():
    expected = "RedisCache" if settings.CACHE_URL else "LocMemCache"
    assert settings.CACHES["default"]["BACKEND"].endswith(expected)


def test_cache_url_selects_a_working_shared_redis_cache():
    """Two separate processes see each other's keys through the configured Redis cache."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    key = f"shared-{uuid.uuid4().hex}"
    env = {**os.environ, "CACHE_URL": url, "DJANGO_SETTINGS_MODULE": "sharing_platform.settings"}
    script = (
        "import django, sys; django.setup(); from django.core.cache import cache; "
        "from django.conf import settings; assert settings.CACHES['default']['BACKEND'].endswith('RedisCache'); "
        "op, key = sys.argv[1], sys.argv[2]; "
        "cache.set(key, 'seen', 60) if op == 'set' else print(cache.get(key))"
    )
    subprocess.run([sys.executable, "-c", script, "set", key], env=env, check=True, timeout=60)  # noqa: S603 - our code
    result = subprocess.run(  # noqa: S603 - this interpreter, our code
        [sys.executable, "-c", script, "get", key], env=env, check=True, timeout=60, capture_output=True, text=True
    )
    assert result.stdout.strip() == "seen"
