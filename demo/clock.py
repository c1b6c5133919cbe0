"""A settable clock for writing history: the services and the models read `django.utils.timezone.now`.

`settable_clock()` replaces `timezone.now` (what services, `auto_now` fields and the credit standing read)
and every model field defaulting to it (`date_joined`, `proposed_at`, `submitted_at`...) by a clock the
caller moves forward with `clock.set(moment)`. Outside the block everything reads the real time again.
Only for seeding: the platform itself never runs under it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.apps import apps
from django.utils import timezone


class Clock:
    def __init__(self, start: datetime):
        self.current = start

    def set(self, moment: datetime) -> datetime:
        if timezone.is_naive(moment):
            raise ValueError("the demo clock takes aware datetimes")
        self.current = moment
        return moment

    def now(self) -> datetime:
        return self.current


@contextmanager
def settable_clock(start: datetime) -> Iterator[Clock]:
    clock = Clock(start)
    real_now = timezone.now
    patched = [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if getattr(field, "default", None) is real_now
    ]
    timezone.now = clock.now
    for field in patched:
        field.default = clock.now
        field.__dict__.pop("_get_default", None)  # a cached_property holding the old callable
    try:
        yield clock
    finally:
        timezone.now = real_now
        for field in patched:
            field.default = real_now
            field.__dict__.pop("_get_default", None)
