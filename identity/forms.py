"""Forms of the sign-in pages and of the provider pages for platform admins."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import IdentityProvider


class LdapSignInForm(forms.Form):
    provider = forms.IntegerField(widget=forms.HiddenInput)
    username = forms.CharField(label=_("Username at your institution"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Password"), max_length=256, required=False, strip=False, widget=forms.PasswordInput
    )


class LinkConfirmForm(forms.Form):
    password = forms.CharField(label=_("Password of your account here"), strip=False, widget=forms.PasswordInput)


class IdentityProviderForm(forms.ModelForm):
    secret = forms.CharField(
        label=_("Secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "LDAP service account password or OpenID Connect client secret. Stored encrypted and never shown "
            "again; leave empty to keep the current one."
        ),
    )
    secret_clear = forms.BooleanField(label=_("Remove the stored secret"), required=False)
    attribute_map = forms.CharField(
        label=_("Attribute mapping"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            'JSON, for example {"user_id": "uid", "email": "mail", "display_name": "cn", "staff_number": '
            '"employeeNumber", "department": "ou"}. Empty: the protocol\'s usual names.'
        ),
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "unit",
            "display_name",
            "display_name_en",
            "protocol",
            "enabled",
            "auto_membership",
            "server_url",
            "timeout_seconds",
            "cas_version",
            "ldap_tls",
            "ldap_tls_verify",
            "ldap_ca_certificate",
            "ldap_bind_mode",
            "ldap_user_dn_template",
            "ldap_bind_dn",
            "ldap_search_base",
            "ldap_search_filter",
            "oidc_client_id",
            "oidc_scopes",
            "secret_env_var",
        ]
        widgets = {"ldap_ca_certificate": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = self.fields["unit"].queryset.order_by("name")
        if self.instance.pk:
            self.initial["attribute_map"] = json.dumps(self.instance.attribute_map or {}, ensure_ascii=False)

    def clean_attribute_map(self) -> dict:
        raw = (self.cleaned_data.get("attribute_map") or "").strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("This is not valid JSON.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The attribute mapping must be an object of attribute names."))
        return value

    def _post_clean(self):
        # The mapping is not a model form field; put it on the instance so the model's clean() checks it too.
        if "attribute_map" in self.cleaned_data:
            self.instance.attribute_map = self.cleaned_data["attribute_map"]
        super()._post_clean()

    def values(self) -> dict:
        """The model fields as a dict for the services (the secret is passed on its own)."""
        # IdentityProviderForm.Meta, not self.Meta: the admin's generated subclass lists the extra fields too.
        return {
            name: self.cleaned_data[name]
            for name in [*IdentityProviderForm.Meta.fields, "attribute_map"]
            if name in self.cleaned_data
        }

    def secret_value(self) -> str | None:
        """The new secret, "" to remove it, None to keep it."""
        if self.cleaned_data.get("secret_clear"):
            return ""
        return self.cleaned_data.get("secret") or None
