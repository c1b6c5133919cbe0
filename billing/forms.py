"""Forms of the billing pages: shape input only; the services decide (amounts are checked there)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import InstrumentBilling, ProviderBilling


class DateInput(forms.DateInput):
    input_type = "date"


class IssueForm(forms.Form):
    payer_unit = forms.TypedChoiceField(label=_("Paying unit"), coerce=int)
    period_end = forms.DateField(label=_("Charges up to (inclusive)"), widget=DateInput)

    def __init__(self, *args, payers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer_unit"].choices = [(row["payer_unit_id"], row["payer_unit_name"]) for row in payers]


class PaymentForm(forms.Form):
    amount = forms.CharField(label=_("Amount (CNY)"), max_length=32)
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput)
    reference = forms.CharField(label=_("Reference (bank transfer number, receipt)"), max_length=120)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class AdjustmentForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount (CNY)"), max_length=32, help_text=_("Negative takes money off the charge, e.g. -150.00.")
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ProviderTermsForm(forms.ModelForm):
    class Meta:
        model = ProviderBilling
        fields = ["due_days", "monthly_statements"]


class InstrumentBillingForm(forms.ModelForm):
    class Meta:
        model = InstrumentBilling
        fields = [
            "basis",
            "billing_unit_minutes",
            "operator_surcharge_per_hour",
            "no_show_rule",
            "no_show_fee",
            "late_cancellation_rule",
            "late_cancellation_fee",
        ]
