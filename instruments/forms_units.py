"""Forms for the unit pages. They validate shapes; the services have the last word (their errors land on fields)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .error_codes import InstrumentErrorCode
from .models import Membership, Region, Unit
from .validators import uscc_normalise, uscc_problem


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return f"{obj.code} {obj.name}"


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("The registered name, usually in Chinese."))
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Type"), choices=Unit.Kind.choices)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        help_text=_("18 characters, as printed on the business licence or registration certificate."),
    )
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.select_related("parent").order_by("code"))
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    accreditations = forms.CharField(
        label=_("Accreditations"), required=False, max_length=500, help_text=_("Separated by commas, e.g. CMA, CNAS.")
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    IDENTITY_FIELDS = ("name", "kind", "credit_code", "region")

    def __init__(self, *args, identity_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if identity_locked:
            for field in self.IDENTITY_FIELDS:
                del self.fields[field]

    def clean_credit_code(self) -> str:
        code = uscc_normalise(self.cleaned_data["credit_code"])
        problem = uscc_problem(code)
        if problem:
            raise forms.ValidationError(problem, code=InstrumentErrorCode.INVALID_CREDIT_CODE)
        return code

    def clean_accreditations(self) -> list[str]:
        raw = self.cleaned_data.get("accreditations") or ""
        items = [item.strip() for item in raw.replace("\uff0c", ",").replace("、", ",").split(",")]
        return [item for item in dict.fromkeys(items) if item]

    @classmethod
    def initial_from(cls, unit: Unit) -> dict:
        initial = {
            field: getattr(unit, field)
            for field in (
                "name",
                "name_en",
                "kind",
                "credit_code",
                "address",
                "contact_name",
                "contact_phone",
                "contact_email",
                "website",
                "description",
            )
        }
        initial["region"] = unit.region_id
        initial["accreditations"] = ", ".join(unit.accreditations or [])
        return initial


class MemberAddForm(forms.Form):
    person = forms.CharField(
        label=_("Username or email"), max_length=254, help_text=_("The person must already have an account.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def clean_person(self):
        value = self.cleaned_data["person"].strip()
        user_model = get_user_model()
        if "@" in value:
            matches = list(user_model.objects.filter(email__iexact=value)[:2])
            if len(matches) > 1:
                raise forms.ValidationError(_("Several accounts use this email address; give the username instead."))
        else:
            matches = list(user_model.objects.filter(username=value)[:1])
        if not matches:
            raise forms.ValidationError(_("No account has this username or email address."))
        return matches[0]


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class UnitDecisionForm(forms.Form):
    approved = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("true", _("Approve")), ("false", _("Reject"))],
        coerce=lambda value: value == "true",
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("approved") is False and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason when rejecting a unit."))
        return cleaned


class UnitSuspendForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
