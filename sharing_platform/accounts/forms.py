"""Browser sign-up: username, email and the password twice, checked by Django's password validators."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from .error_codes import AccountErrorCode


class SignupForm(UserCreationForm):
    email = forms.EmailField(label=_("Email"), max_length=254, help_text=_("Unit admins can add you by this address."))

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this email address already exists."), code=AccountErrorCode.DUPLICATE
            )
        return email
