"""Forms of the credit pages (objection, repair, moderation decisions, external reports in the admin)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from instruments.models import Unit

from .models import ExternalCreditReport, ListEntry


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("Grounds of the objection"), widget=forms.Textarea(attrs={"rows": 3}))


class RepairForm(forms.Form):
    proof_text = forms.CharField(
        label=_("How the problem was corrected"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: damage paid on 3 March, operator training completed."),
    )
    proof_file = forms.FileField(label=_("Proof document"), required=False)
    commitment_signed = forms.BooleanField(
        label=_("I sign the credit commitment: I will keep my bookings and the platform's rules."), required=True
    )


class ConfirmForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the decision"), widget=forms.Textarea(attrs={"rows": 2}))
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", _("As proposed")), *ListEntry.Severity.choices], required=False
    )
    expires_at = forms.DateTimeField(
        label=_("Published until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the default period for the severity."),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the decision"), widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("yes", _("Grant / uphold")), ("no", _("Refuse / dismiss"))]
    )
    reason = forms.CharField(label=_("Reason for the decision"), widget=forms.Textarea(attrs={"rows": 2}))


class ExternalCreditReportAdminForm(forms.ModelForm):
    """Admin form: pick a unit or a user; the service normalises and records the report."""

    subject_unit = forms.ModelChoiceField(queryset=Unit.objects.all(), required=False, label=_("Unit"))
    subject_user = forms.ModelChoiceField(queryset=get_user_model().objects.all(), required=False, label=_("User"))

    class Meta:
        model = ExternalCreditReport
        fields = [
            "subject_unit",
            "subject_user",
            "source",
            "score",
            "range_min",
            "range_max",
            "reported_at",
            "expires_at",
            "reference",
        ]

    def clean(self):
        data = super().clean()
        if bool(data.get("subject_unit")) == bool(data.get("subject_user")):
            raise forms.ValidationError(_("Choose either a unit or a user."))
        low, high, score = data.get("range_min"), data.get("range_max"), data.get("score")
        if None not in (low, high, score) and not (low <= score <= high and low < high):
            raise forms.ValidationError(_("The score must lie within the report's range."))
        if data.get("reported_at") and data.get("expires_at") and data["expires_at"] <= data["reported_at"]:
            raise forms.ValidationError(_("A report must expire after its date."))
        return data

    def _post_clean(self):
        # The subject key is derived by the service; skip model validation of the half-built instance here.
        pass
