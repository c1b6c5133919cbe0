"""`python manage.py create_partner_key NAME --scopes a,b [--expires-days N] [--key-name LABEL]`.

Creates the partner organisation NAME if needed and issues it a key. The raw key is printed once
(on its own line, last) and never stored: only its hash is.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from partners.models import Partner, Scope
from partners.services import partner_key_issue
from sharing_platform.errors import DomainError


class Command(BaseCommand):
    help = "Issue an API key to a partner organisation (created if new). Prints the key once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The partner organisation's name.")
        parser.add_argument("--scopes", required=True, help=f"Comma-separated scopes among: {', '.join(Scope.values)}.")
        parser.add_argument("--expires-days", type=int, default=None, help="Days until the key expires.")
        parser.add_argument("--key-name", default="", help="A label for the key (default: the partner's name).")

    def handle(self, *args, name: str, scopes: str, expires_days: int | None, key_name: str, **options):
        scope_list = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        if not scope_list:
            raise CommandError("Give at least one scope.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        unknown = sorted(set(scope_list) - set(Scope.values))
        if unknown:
            raise CommandError(f"Unknown scopes: {', '.join(unknown)}. Known: {', '.join(Scope.values)}.")
        partner, created = Partner.objects.get_or_create(name=name)
        try:
            key, raw_key = partner_key_issue(
                partner=partner, name=key_name or name, scopes=scope_list, expires_at=expires_at
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        if created:
            self.stdout.write(f"Created partner {partner.name!r} (id {partner.pk}).")
        expiry = f", expires {key.expiry_date:%Y-%m-%d %H:%M %Z}" if key.expiry_date else ""
        self.stdout.write(
            f"Key {key.prefix} with scopes {', '.join(key.scopes)}{expiry}. Store it now; it is not shown again:"
        )
        self.stdout.write(raw_key)
