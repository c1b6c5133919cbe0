"""gunicorn settings for the web service (docker-compose.yml, and the processes .ci/run starts).

Access and error logs go to stdout as JSON lines, like the Django logs (LOG_FORMAT=plain for text).
The command line (``--bind``, ``--workers``) wins over these values.
"""

import os

from sharing_platform.configuration import settings_load_or_exit

# Check the environment in the master, before any worker starts: a missing SECRET_KEY ends gunicorn with
# one line on stderr instead of workers failing to boot with tracebacks, over and over.
settings_load_or_exit()

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # a container listens on all interfaces
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Restart workers now and then so a slow leak cannot grow without bound.
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
errorlog = "-"

_formatter = "json" if os.environ.get("LOG_FORMAT", "json") == "json" else "generic"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "sharing_platform.logging.JsonFormatter"},
        "generic": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s %(message)s"},
    },
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": _formatter, "stream": "ext://sys.stdout"}},
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
        # Not propagated: Django's LOGGING also puts a handler on the root logger in each worker.
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}
