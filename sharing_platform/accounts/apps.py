from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People's accounts: registration with e-mail confirmation, tokens, sign-in throttling. Its migrations
    hold the database rule that one e-mail address belongs to at most one account."""

    name = "sharing_platform.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
