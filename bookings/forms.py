"""Forms of the booking pages. They only shape input; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class BookingForm(forms.Form):
    """Times are entered in the platform's time zone (Asia/Shanghai) and made aware by Django."""

    start = forms.DateTimeField(label=_("Start"), widget=LocalDateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"])
    end = forms.DateTimeField(label=_("End"), widget=LocalDateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"])
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    project_code = forms.CharField(label=_("Project or funding code"), required=False, max_length=64)
    operator_assisted = forms.BooleanField(label=_("With operator assistance"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class ActualHoursForm(forms.Form):
    actual_hours = forms.DecimalField(
        label=_("Hours actually used"), required=False, min_value=0, max_digits=8, decimal_places=2
    )
