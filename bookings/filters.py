"""FilterSets shared by the bookings API and pages."""

import django_filters

from .models import Booking, BookingState


class BookingFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=BookingState.choices)
    instrument = django_filters.NumberFilter(field_name="instrument_id")
    start_after = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="gte")
    start_before = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt")

    class Meta:
        model = Booking
        fields = ["state", "instrument", "start_after", "start_before"]
