"""The photo upload form of the instrument photos page. The service checks the file (services/photos.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services.photos import PHOTO_MAX_BYTES


class InstrumentPhotoForm(forms.Form):
    image = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG or WebP, at most %(megabytes)s MB. Camera data (place, time, device) is removed.")
        % {"megabytes": PHOTO_MAX_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
