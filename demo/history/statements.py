"""Billing: providers issue their monthly statements (billing's own monthly run), payers pay them, most on time."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from billing import services as billing_services
from billing.models import Statement
from instruments.models import Unit

from .timeline import Timeline, local_moment


class StatementHistory(Timeline):
    def _monthly_statements(self) -> None:
        issued = billing_services.statements_issue_monthly(now=self.clock.now())
        self.summary.statements += len(issued)
        for statement in Statement.objects.filter(pk__in=issued).select_related("payer_unit").order_by("pk"):
            self._pay(statement)

    def _pay(self, statement: Statement) -> None:
        rng = self.rng
        issued = statement.issued_at
        due = local_moment(statement.due_date, 17)
        habit = 0.35 if statement.payer_unit.kind == Unit.Kind.ENTERPRISE else 0.12
        if rng.random() < habit:
            paid = due + timedelta(days=rng.randrange(3, 25), hours=rng.randrange(0, 6))
        else:
            paid = issued + timedelta(days=rng.randrange(3, 26), hours=rng.randrange(0, 6))
        provider = self.providers[statement.provider_unit_id].admin

        def pay() -> None:
            billing_services.payment_record(
                statement_id=statement.pk, actor=provider, amount=statement.total,
                paid_on=timezone.localdate(paid), reference=f"DEMO-{statement.reference}", now=paid,
            )  # fmt: skip

        self.at(paid, pay)
