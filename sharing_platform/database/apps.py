from django.apps import AppConfig


class DatabaseConfig(AppConfig):
    """Core (imports no app): the ``db_app_role`` command; the trigger SQL lives in append_only.py."""

    name = "sharing_platform.database"
    label = "platform_database"
    verbose_name = "Database guards"
