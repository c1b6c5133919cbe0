"""Forms of the import page: upload a file (with a dry-run preview by default), then confirm it."""

from django import forms
from django.utils.translation import gettext_lazy as _


class InstrumentImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK, as Excel saves it) or Excel .xlsx, with a header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    dry_run = forms.BooleanField(
        label=_("Check only (dry run): show what would change, write nothing yet"),
        required=False,
        initial=True,
    )


class InstrumentImportConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
