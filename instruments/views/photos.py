"""The instrument photos page (managers): upload, see and remove photos. Thin: the service checks everything."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sharing_platform.errors import DomainPermissionError
from sharing_platform.pages import domain_error_pages, refusal_shown_on

from ..forms_photos import InstrumentPhotoForm
from ..permissions import can_manage_instrument
from ..selectors.catalogue import instrument_get_visible
from ..selectors.photos import instrument_photo_get, instrument_photos
from ..services.photos import instrument_photo_add, instrument_photo_delete, photo_content


def _managed_instrument(request: HttpRequest, pk: int):
    instrument = instrument_get_visible(user=request.user, pk=pk)
    if not can_manage_instrument(request.user, instrument):
        raise DomainPermissionError(
            _("Only the instrument managers and unit admins of its unit may change its photos.")
        )
    return instrument


def _photos_render(request: HttpRequest, instrument, form) -> HttpResponse:
    context = {"instrument": instrument, "photos": list(instrument_photos(instrument=instrument)), "form": form}
    return render(request, "instruments/catalogue/photos.html", context, status=400 if form.errors else 200)


def _photos_refused(request: HttpRequest, refusal, pk: int) -> HttpResponse:
    return _photos_render(request, _managed_instrument(request, pk), refusal.form)


@login_required
@require_http_methods(["GET", "POST"])
@domain_error_pages(form_page=_photos_refused)
def instrument_photos_page(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _managed_instrument(request, pk)
    form = InstrumentPhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            instrument_photo_add(
                actor=request.user, instrument=instrument, content=photo_content(form.cleaned_data["image"])
            )
        messages.success(request, _("The photo is added; the catalogue now shows it."))
        return redirect("instrument-photos", pk=instrument.pk)
    return _photos_render(request, instrument, form)


def _photos_url(request: HttpRequest, pk: int, photo_pk: int) -> str:
    return reverse("instrument-photos", args=[pk])


@login_required
@require_POST
@domain_error_pages(redirect_to=_photos_url)
def instrument_photo_delete_page(request: HttpRequest, pk: int, photo_pk: int) -> HttpResponse:
    instrument = _managed_instrument(request, pk)
    instrument_photo_delete(actor=request.user, photo=instrument_photo_get(instrument=instrument, pk=photo_pk))
    messages.success(request, _("The photo is removed."))
    return redirect("instrument-photos", pk=instrument.pk)


# Instrument photos are public (the catalogue shows them) and, once stored, never change: their names are
# random and made by the service, so only such names are served, with a long cache lifetime. Other media
# (incident evidence, repair proofs) are not served here.
PHOTO_FILE = re.compile(r"instruments/(photos|thumbnails)/\d{4}/\d{2}/[0-9a-f]{32}\.(jpg|png|webp)\Z")
PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@require_http_methods(["GET", "HEAD"])
def instrument_photo_file(request: HttpRequest, path: str) -> FileResponse:
    """A stored photo or thumbnail from the media storage (production serves no other media)."""
    if not PHOTO_FILE.match(path) or not default_storage.exists(path):
        raise Http404(_("No such photo."))
    response = FileResponse(default_storage.open(path, "rb"), content_type=PHOTO_TYPES[path.rsplit(".", 1)[1]])
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
