"""Django's user admin, with the rule that an e-mail address belongs to one account at most (a form error
instead of the database's refusal)."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _

from sharing_platform.accounts.error_codes import AccountErrorCode

from .services import email_in_use


class AccountChangeForm(UserChangeForm):
    def clean_email(self) -> str:
        email = (self.cleaned_data.get("email") or "").strip()
        if email and email_in_use(email, exclude_user_id=self.instance.pk):
            raise forms.ValidationError(
                _("Another account already uses this e-mail address."), code=AccountErrorCode.EMAIL_TAKEN
            )
        return email


user_model = get_user_model()
if admin.site.is_registered(user_model):
    admin.site.unregister(user_model)


@admin.register(user_model)
class AccountAdmin(UserAdmin):
    form = AccountChangeForm
