"""Prepare the test IdP's database: migrate, the directory's people, the OIDC client and its signing key.

python -m tests.identity.idp.prepare [--redirect-uri URL ...]   (DJANGO_SETTINGS_MODULE and IDP_DB set)
"""

from __future__ import annotations

import argparse
import os


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.identity.idp.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    parser = argparse.ArgumentParser()
    parser.add_argument("--redirect-uri", action="append", default=[])
    parser.add_argument("--migrate", action="store_true")
    args = parser.parse_args()
    if args.migrate:
        call_command("migrate", verbosity=0, interactive=False)
        call_command("creatersakey", verbosity=0)
        from .directory import PEOPLE

        user_model = get_user_model()
        for person in PEOPLE:
            user = user_model(username=person.username, email=person.email, first_name=person.display_name)
            user.set_password(person.password)
            user.save()
    from oidc_provider.models import Client, ResponseType

    from .directory import OIDC_CLIENT_ID, OIDC_CLIENT_SECRET

    client, _created = Client.objects.get_or_create(
        client_id=OIDC_CLIENT_ID,
        defaults={
            "name": "Instrument Sharing Platform",
            "client_type": "confidential",
            "client_secret": OIDC_CLIENT_SECRET,
            "jwt_alg": "RS256",
            "require_consent": False,
            "reuse_consent": True,
        },
    )
    client.response_types.set([ResponseType.objects.get(value="code")])
    client.redirect_uris = sorted({*client.redirect_uris, *args.redirect_uri})
    client.save()


if __name__ == "__main__":
    main()
