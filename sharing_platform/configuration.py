"""A wrong environment ends the process with one clear line, not a Python traceback.

Settings raise `ImproperlyConfigured` for a configuration a person must fix (a missing SECRET_KEY with
DEBUG off, an unknown LOG_FORMAT); manage.py, the WSGI module and gunicorn's master call
`settings_load_or_exit()` first, so an operator reads the reason on stderr and the exit code is 1.
Deliberately free of app imports: it runs before Django is set up.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured


def settings_load_or_exit() -> None:
    """Load the settings module now; a configuration problem becomes `SystemExit("Configuration error: ...")`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sharing_platform.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - touching a setting imports the settings module
    except ImproperlyConfigured as error:
        raise SystemExit(f"Configuration error: {error}") from None
