"""The shared cache of catalogue pages (issue 14.1): one page of lean rows per filter set, language and page,
and the HTML page's form and results per query string.

Every page carries the catalogue's *generation*, a token kept in the same cache. Anything that can
change what the catalogue lists or shows (an instrument, a unit's status or credit score, a
category, a region) replaces the token through `catalogue_changed()`, so every earlier page is
unreachable at once and ages out (rows and the page's HTML are stored with their generation, and a
mismatch is a miss). The receivers below call it on save and delete;
code that writes with `bulk_create`/`bulk_update`/`update()` calls it itself (credit recompute,
spreadsheet import).

The token is replaced twice: at once, and again after the transaction commits. A page computed
between the two (by a request that read the old rows) is stored with the first token and dropped
by the second, so no page survives its rows' commit. Pages also expire after
`CATALOGUE_CACHE_SECONDS` (a bound on anything written behind the ORM's back); 0 turns caching off.

The cache is Django's (`CACHES["default"]`): Redis in production, a per-process memory in tests and
development. A cache that fails is skipped, never an error: the catalogue is read from the database.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import get_language

from .models import Instrument, InstrumentCategory, Region, Unit

logger = logging.getLogger(__name__)

GENERATION_KEY = "catalogue:generation"
DEFAULT_SECONDS = 60


def cache_seconds() -> int:
    return int(getattr(settings, "CATALOGUE_CACHE_SECONDS", DEFAULT_SECONDS))


def _new_generation() -> str:
    token = uuid.uuid4().hex[:16]
    try:
        cache.set(GENERATION_KEY, token, None)
    except Exception:  # a cache outage must not fail the write that changed the catalogue
        logger.warning("catalogue cache: could not replace the generation", exc_info=True)
    return token


def catalogue_changed() -> None:
    """Forget every cached catalogue page, now and again when the current transaction commits."""
    _new_generation()
    transaction.on_commit(_new_generation)


def _generation() -> str | None:
    token = cache.get(GENERATION_KEY)
    if token is None:
        # add(), not set(): two processes starting together agree on one token.
        token = uuid.uuid4().hex[:16]
        if not cache.add(GENERATION_KEY, token, None):
            token = cache.get(GENERATION_KEY)
    return token


def page_params(query, names, *, offset: int, page_size: int) -> list[tuple[str, str]]:
    """What identifies a page of rows: the filters given (`names`: the FilterSet's; other parameters do not
    change the rows, so they do not split the cache), each with its values in their order (a filter reads the last
    of several), the offset and the page size."""
    given = [(name, repr(values)) for name, values in query.lists() if name in names]
    return [*given, ("@offset", str(offset)), ("@size", str(page_size))]


def page_key(kind: str, params: list[tuple[str, str]]) -> str:
    """`kind` (what is cached: rows, a page's HTML) + language + the sorted query parameters, URL-encoded (a
    value holding `&` or `=` cannot pass for two parameters), hashed."""
    canonical = urlencode(sorted(params))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return f"{kind}:{get_language() or ''}:{digest}"


def cached_page(kind: str, params: list[tuple[str, str]], compute: Callable[[], object]):
    """The value cached for these parameters in the current generation, else `compute()` (stored).

    One cache round trip on a hit: the page is stored with the generation it was computed in, under a
    key without it, and read together with the current generation (`get_many`); a page of an earlier
    generation is a miss. `compute` may raise (a bad filter): nothing is stored then."""
    seconds = cache_seconds()
    if seconds <= 0:
        return compute()
    key = f"catalogue:{page_key(kind, params)}"
    try:
        found = cache.get_many([GENERATION_KEY, key])
        generation = found.get(GENERATION_KEY) or _generation()
    except Exception:
        logger.warning("catalogue cache: read failed, using the database", exc_info=True)
        return compute()
    stored = found.get(key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == generation:
        return stored[1]
    value = compute()
    try:
        cache.set(key, (generation, value), seconds)
    except Exception:
        logger.warning("catalogue cache: write failed", exc_info=True)
    return value


@receiver(post_save, sender=Instrument)
@receiver(post_delete, sender=Instrument)
@receiver(post_save, sender=Unit)
@receiver(post_delete, sender=Unit)
@receiver(post_save, sender=InstrumentCategory)
@receiver(post_delete, sender=InstrumentCategory)
@receiver(post_save, sender=Region)
@receiver(post_delete, sender=Region)
def _catalogue_row_changed(sender, **kwargs) -> None:
    catalogue_changed()
