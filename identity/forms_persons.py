"""The vouching form of unit admins and the decision form of platform admins on possible re-registrations."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from instruments.models import Membership, Unit


class PersonVouchForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Unit"))
    username = forms.CharField(label=_("Member's username"), max_length=150)
    display_name = forms.CharField(label=_("Their name"), max_length=200)
    staff_number = forms.CharField(label=_("Staff number at the unit"), max_length=100, required=False)
    national_id = forms.CharField(
        label=_("National identity number"),
        max_length=40,
        required=False,
        help_text=_("Kept only as a keyed digest: it recognises the same person again, nobody can read it back."),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(
            pk__in=Membership.objects.administered_unit_ids(actor)
        ).order_by("name")

    def clean_username(self):
        user = get_user_model().objects.filter(username=self.cleaned_data["username"].strip()).first()
        if user is None:
            raise forms.ValidationError(_("No account has that username."))
        return user


class ReRegistrationDecisionForm(forms.Form):
    same_person = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("The same person: join the accounts")), ("0", _("Different people"))],
        coerce=lambda value: value == "1",
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
