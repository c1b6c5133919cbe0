"""WSGI entry point (gunicorn sharing_platform.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from sharing_platform.configuration import settings_load_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sharing_platform.settings")
settings_load_or_exit()
application = get_wsgi_application()
