"""Forms for the unit pages. They validate shapes; the services have the last word (their errors land on fields)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .error_codes import InstrumentErrorCode
from .models import Membership, Region, Unit
from .selectors.regions import region_children
from .validators import uscc_normalise, uscc_problem

REGION_PICKER_FIELDS = ("province", "city", "county")

if TYPE_CHECKING:
    _FormBase = forms.Form  # the mixin reads and writes the form it is mixed into
else:
    _FormBase = object


def region_picker_codes(region: Region | None) -> dict[str, str]:
    """The province / city / county selects that show `region` (load its parent and grandparent)."""
    if region is None:
        return {"province": "", "city": "", "county": ""}
    chain: list[str] = []
    while region is not None:
        chain.insert(0, region.code)
        region = region.parent
    chain += ["", ""]
    return dict(zip(REGION_PICKER_FIELDS, chain[:3], strict=True))


class RegionPickerMixin(_FormBase):
    """Three selects, province then city then district or county, that resolve to one `region`.

    The city and county options are those of the chosen province and city. Without JavaScript the
    "Show cities and districts" button re-renders the form with them; static/js/region-picker.js
    refills them from /api/v1/regions/ as soon as a select changes.
    """

    def region_picker_setup(self) -> None:
        """Options of the selects: from the submitted data, or from the initial codes (region_picker_codes)."""
        source = self.data if self.is_bound else self.initial
        keys = {name: self.add_prefix(name) if self.is_bound else name for name in REGION_PICKER_FIELDS}
        codes = {name: (source.get(key) or "").strip() for name, key in keys.items()}
        self.fields["province"].widget.choices = [
            ("", _("Choose a province")),
            *[(region.code, region.name) for region in region_children(parent_code="")],
        ]
        cities = region_children(parent_code=codes["province"]) if codes["province"] else []
        self.fields["city"].widget.choices = [
            ("", _("The whole province")),
            *[(region.code, region.name) for region in cities],
        ]
        counties = region_children(parent_code=codes["city"]) if codes["city"] else []
        self.fields["county"].widget.choices = [
            ("", _("The whole city")),
            *[(region.code, region.name) for region in counties],
        ]

    def region_picker_clean(self, cleaned: dict) -> None:
        """Puts the deepest chosen division in cleaned["region"]; a choice outside its parent is an error."""
        codes = {name: cleaned.pop(name, "") or "" for name in REGION_PICKER_FIELDS}
        if not codes["province"]:
            self.add_error("province", _("Choose the province of the unit."))
            return
        found = {region.code: region for region in Region.objects.filter(code__in=[c for c in codes.values() if c])}
        province = found.get(codes["province"])
        if province is None or province.level != Region.Level.PROVINCE:
            self.add_error("province", _("Choose a province from the list."))
            return
        region = province
        for field, parent in (("city", "province"), ("county", "city")):
            code = codes[field]
            if not code:
                break
            chosen = found.get(code)
            if chosen is None or chosen.parent_id != found[codes[parent]].pk:
                self.add_error(
                    field,
                    _(
                        "This is not a division of %(parent)s: choose again, or press “Show cities and districts” "
                        "after changing the %(level)s."
                    )
                    % {"parent": found[codes[parent]].name, "level": str(self.fields[parent].label).lower()},
                )
                return
            region = chosen
        cleaned["region"] = region

    def region_picker_changed(self) -> bool:
        return any(name in self.changed_data for name in REGION_PICKER_FIELDS)


class UnitForm(RegionPickerMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("The registered name, usually in Chinese."))
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Type"), choices=Unit.Kind.choices)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        help_text=_("18 characters, as printed on the business licence or registration certificate."),
    )
    province = forms.CharField(label=_("Province"), widget=forms.Select, required=False)
    city = forms.CharField(
        label=_("City"), widget=forms.Select, required=False, help_text=_("Municipalities list their districts here.")
    )
    county = forms.CharField(label=_("District or county"), widget=forms.Select, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    accreditations = forms.CharField(
        label=_("Accreditations"), required=False, max_length=500, help_text=_("Separated by commas, e.g. CMA, CNAS.")
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    description_en = forms.CharField(
        label=_("Description in English"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    IDENTITY_FIELDS = ("name", "kind", "credit_code", *REGION_PICKER_FIELDS)

    def __init__(self, *args, identity_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.identity_locked = identity_locked
        if identity_locked:
            for field in self.IDENTITY_FIELDS:
                del self.fields[field]
        else:
            self.region_picker_setup()

    @classmethod
    def refreshed(cls, data, *, identity_locked: bool = False) -> UnitForm:
        """The form as typed, unbound (so no errors yet), with the city and county options of the chosen
        province and city: what "Show cities and districts" answers without JavaScript."""
        return cls(initial={name: data.get(name, "") for name in cls.base_fields}, identity_locked=identity_locked)

    def clean(self):
        cleaned = super().clean()
        if not self.identity_locked:
            self.region_picker_clean(cleaned)
        return cleaned

    def changed_fields(self) -> set[str]:
        """Names of the unit's fields this submission changes (the three selects count as `region`)."""
        changed = {name for name in self.changed_data if name not in REGION_PICKER_FIELDS}
        if not self.identity_locked and self.region_picker_changed():
            changed.add("region")
        return changed

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
                "description_en",
            )
        }
        initial.update(region_picker_codes(unit.region))
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
