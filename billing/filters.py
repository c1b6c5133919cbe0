"""FilterSets shared by the billing API and pages."""

import django_filters

from .models import Charge, Statement, StatementStatus


class ChargeFilter(django_filters.FilterSet):
    booking = django_filters.NumberFilter(field_name="booking_id")
    payer_unit = django_filters.NumberFilter(field_name="payer_unit_id")
    provider_unit = django_filters.NumberFilter(field_name="provider_unit_id")
    instrument = django_filters.NumberFilter(field_name="instrument_id")
    project_code = django_filters.CharFilter(field_name="project_code")
    kind = django_filters.MultipleChoiceFilter(choices=Charge.Kind.choices)
    billed = django_filters.BooleanFilter(field_name="billed")
    incurred_after = django_filters.IsoDateTimeFilter(field_name="incurred_at", lookup_expr="gte")
    incurred_before = django_filters.IsoDateTimeFilter(field_name="incurred_at", lookup_expr="lt")

    class Meta:
        model = Charge
        fields = ["booking", "payer_unit", "provider_unit", "instrument", "project_code", "kind", "billed"]


class StatementFilter(django_filters.FilterSet):
    provider_unit = django_filters.NumberFilter(field_name="provider_unit_id")
    payer_unit = django_filters.NumberFilter(field_name="payer_unit_id")
    status = django_filters.MultipleChoiceFilter(choices=StatementStatus.choices)

    class Meta:
        model = Statement
        fields = ["provider_unit", "payer_unit", "status"]
