"""Trigram GIN indexes for the catalogue's text search. PostgreSQL only; a no-op elsewhere.

The catalogue filters with `icontains`, which Django renders on PostgreSQL as
`UPPER(col::text) LIKE UPPER(%s)`; a GIN index over `UPPER(col::text) gin_trgm_ops` serves exactly
that expression, so substring search stays fast at tens of thousands of instruments (and works for
Chinese text, which word-based full-text search does not split).
"""

from django.contrib.postgres.operations import BtreeGistExtension, TrigramExtension
from django.db import migrations

SEARCH_COLUMNS = ["name", "name_en", "model_number", "manufacturer", "description"]


def index_name(column: str) -> str:
    return f"instrument_{column}_trgm"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index_name(column)} ON instruments_instrument "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index_name(column)}")


class Migration(migrations.Migration):
    dependencies = [("instruments", "0002_load_categories")]

    operations = [
        # CreateExtension does nothing on databases other than PostgreSQL.
        TrigramExtension(),
        BtreeGistExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
