"""The ledger and the decisions about it, kept by the database itself (issue 12, item 7).

On PostgreSQL, triggers refuse UPDATE, DELETE and TRUNCATE of the credit ledger, of the score snapshots
(history is never rewritten) and of the events a list entry was based on, whoever connects; list entries,
objections and repair requests may change while open, never once decided, and are never deleted. The one
exception: TRUNCATE by the table owner in a session that set ``sharing_platform.flush = on``, which only the
test runner's flush does between transactional tests (the application's role is not the owner and has no
TRUNCATE privilege). Refusing only non-owner roles was the alternative; it would leave the owner's psql free
to rewrite the ledger. The reasoning and the SQL: sharing_platform/database/append_only.py. On SQLite these
operations do nothing (the ORM's own refusals remain).

Who recorded or decided something is PROTECTed instead of set to NULL: deleting that user is refused
(the admin says which records keep the account), so history never loses its author.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from sharing_platform.database.append_only import append_only, decisions_final, trigger_functions

LEDGER_HINT = "Ledger events are never changed or deleted: record a reversing event instead."
HISTORY_HINT = "Score snapshots are history: a recompute writes a new snapshot."
BASIS_HINT = "The events a list entry was based on are its evidence and stay as proposed."
DECISION_HINT = "Decisions are kept: end a list entry by objection, repair or expiry; decide a request once."


class Migration(migrations.Migration):

    dependencies = [
        ('credit', '0005_repair_proof_random_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='appeal',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='creditevent',
            name='recorded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='listentry',
            name='moderator',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='repairrequest',
            name='decided_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        trigger_functions(),
        append_only('credit_creditevent', LEDGER_HINT),
        append_only('credit_creditscore', HISTORY_HINT),
        append_only('credit_listentry_basis_events', BASIS_HINT),
        # A proposed entry is open; a published one may only end (status and ended_at); others are final.
        decisions_final(
            'credit_listentry',
            state_column='status',
            open_states=('proposed',),
            closing_states=('published',),
            closing_columns=('status', 'ended_at'),
            hint=DECISION_HINT,
        ),
        decisions_final('credit_appeal', state_column='status', open_states=('open',), hint=DECISION_HINT),
        decisions_final('credit_repairrequest', state_column='status', open_states=('pending',), hint=DECISION_HINT),
    ]
