"""Browser sign-up: username, email and the password twice, checked by Django's password validators."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _


class SignupForm(UserCreationForm):
    """Whether the e-mail address is taken is not checked here: the answer would tell. The
    address is attached once confirmed from the mail sent to it (see services.user_register)."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We send a link to this address; once you confirm it, unit admins can add you by it."),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


class EmailConfirmForm(forms.Form):
    """One button: the link in the mail opens a page; only a person's click attaches the address (a mail
    scanner that follows links must not confirm an address for whoever signed up with it)."""
