"""Forms of the booking pages: booking, decisions, the detail page's move, review and incident forms,
and the booking-rules page. They only shape input; the services decide and their refusals are put
next to the fields."""

from __future__ import annotations

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from .models import WEEKDAYS, BookingPolicy, Dispute, Incident
from .services.rules import POLICY_FIELDS

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class BookingForm(forms.Form):
    """Times are entered in the platform's time zone (Asia/Shanghai) and made aware by Django."""

    start = forms.DateTimeField(label=_("Start"), widget=LocalDateTimeInput(), input_formats=DATETIME_FORMATS)
    end = forms.DateTimeField(label=_("End"), widget=LocalDateTimeInput(), input_formats=DATETIME_FORMATS)
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    project_code = forms.CharField(label=_("Project or funding code"), required=False, max_length=64)
    operator_assisted = forms.BooleanField(label=_("With operator assistance"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class ActualHoursForm(forms.Form):
    actual_hours = forms.DecimalField(
        label=_("Hours actually used"), required=False, min_value=0, max_digits=8, decimal_places=2
    )
    reason = forms.CharField(label=_("Why other hours than check-in to check-out"), required=False, max_length=2000)


# --- The booking-rules page ------------------------------------------------------------------


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class BookingPolicyForm(forms.Form):
    """Every rule of the policy, labelled as in the model; ranges are checked by the service."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(BookingPolicy, fields=POLICY_FIELDS))
        for field in self.fields.values():
            if isinstance(field, forms.IntegerField):
                # The service names the rule in its message; the browser should not pre-empt it.
                field.min_value = None
                field.validators = [v for v in field.validators if not hasattr(v, "limit_value")]
                field.widget.attrs.pop("min", None)
                field.widget.attrs.pop("max", None)


class OpeningHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Weekday"), choices=[(index, name) for index, name in enumerate(WEEKDAYS)], coerce=int
    )
    opens = forms.TimeField(label=_("Opens"), widget=TimeInput())
    closes = forms.TimeField(label=_("Closes"), widget=TimeInput())


class BlackoutForm(forms.Form):
    """Times in the platform's time zone, made aware by Django."""

    start = forms.DateTimeField(label=_("From"), widget=LocalDateTimeInput(), input_formats=DATETIME_FORMATS)
    end = forms.DateTimeField(label=_("Until"), widget=LocalDateTimeInput(), input_formats=DATETIME_FORMATS)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


class QualificationGrantForm(forms.Form):
    username = forms.CharField(label=_("Username or e-mail"), max_length=254)


# --- The booking detail page ----------------------------------------------------------------


class MoveForm(forms.Form):
    start = forms.DateTimeField(label=_("New start"), widget=LocalDateTimeInput(), input_formats=DATETIME_FORMATS)
    end = forms.DateTimeField(label=_("New end"), widget=LocalDateTimeInput(), input_formats=DATETIME_FORMATS)


class ReviewForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Stars"), choices=[(n, "★" * n) for n in range(5, 0, -1)], coerce=int, empty_value=None
    )
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Optional, separated by commas.")
    )
    text = forms.CharField(label=_("Review"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Incident.Kind.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Incident.Severity.choices)
    estimated_loss = forms.DecimalField(
        label=_("Estimated loss (CNY)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    description = forms.CharField(label=_("What happened"), max_length=8000, widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(label=_("Attachment (photo or document)"), required=False)


class ContestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you contest the report"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class HoursCorrectionForm(forms.Form):
    """The provider corrects the hours used of a completed booking (within the window to contest)."""

    actual_hours = forms.DecimalField(
        label=_("Hours actually used"), min_value=0, max_value=1000, max_digits=8, decimal_places=2
    )
    reason = forms.CharField(
        label=_("Why the recorded hours were wrong (the requester sees it)"), required=False, max_length=2000
    )


class FactContestForm(forms.Form):
    reason = forms.CharField(label=_("Why it is wrong"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class DisputeDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Dispute.Decision.choices)
    reason = forms.CharField(
        label=_("Reasons for the decision"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    severity = forms.ChoiceField(
        label=_("Uphold at severity"),
        choices=[("", _("as reported")), *Incident.Severity.choices],
        required=False,
        help_text=_("For an incident: upheld, it is recorded at this severity."),
    )
