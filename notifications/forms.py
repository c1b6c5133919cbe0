from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import RobotEvent, RobotWebhook


class RobotWebhookForm(forms.Form):
    owner = forms.ChoiceField(label=_("For"))
    service = forms.ChoiceField(label=_("Service"), choices=RobotWebhook.Service.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.CharField(
        label=_("Webhook address"),
        max_length=500,
        help_text=_(
            "Copy it from the group's robot settings "
            "(WeCom: …/webhook/send?key=…; DingTalk: …/robot/send?access_token=…)."
        ),
    )
    secret = forms.CharField(
        label=_("DingTalk signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("DingTalk only: the additional signature secret, starting with SEC. Stored encrypted."),
    )
    events = forms.MultipleChoiceField(
        label=_("Send"), choices=RobotEvent.choices, widget=forms.CheckboxSelectMultiple, initial=RobotEvent.values
    )
    language = forms.ChoiceField(label=_("Language"), choices=RobotWebhook.Language.choices)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("me", _("Me (%(name)s)") % {"name": user.get_username()})] + [
            (f"unit:{unit.pk}", unit.display_name) for unit in units
        ]
