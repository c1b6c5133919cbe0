"""Migration operations that only apply on PostgreSQL (SQLite, the embedded default, skips them)."""

from django.contrib.postgres.operations import BtreeGistExtension


class BtreeGistOnPostgres(BtreeGistExtension):
    """btree_gist lets the booking exclusion constraint combine `instrument =` with a range overlap."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        super().database_backwards(app_label, schema_editor, from_state, to_state)
