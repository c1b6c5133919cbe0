"""Structured logs: one JSON object per line on stdout, for the web app, the workers and beat.

Used by ``LOGGING`` in settings when ``LOG_FORMAT=json`` (the default with ``DEBUG`` off) and by
``gunicorn.conf.py``. Every line carries ``ts`` (ISO 8601, aware), ``level``, ``logger`` and
``message``; a traceback goes in ``exc``; fields passed with ``extra=`` are kept (values that are
not JSON types are written as their ``str()``).
"""

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("name", logging.INFO, "pathname", 0, "msg", (), None)).keys()) | {
    "message",
    "asctime",
    "taskName",
}

_JSON_SCALARS = (str, int, float, bool, type(None))


def _json_value(value):
    if isinstance(value, _JSON_SCALARS):
        return value
    if isinstance(value, list | tuple) and all(isinstance(item, _JSON_SCALARS) for item in value):
        return list(value)
    return str(value)


class JsonFormatter(logging.Formatter):
    """Formats a record as a single line of JSON (no embedded newlines)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in entry and not key.startswith("_"):
                entry[key] = _json_value(value)
        return json.dumps(entry, ensure_ascii=False, default=str)
