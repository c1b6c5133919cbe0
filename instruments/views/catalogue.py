"""Pages of the catalogue and the instrument registry. Thin: parse, call a selector or service, render."""

from __future__ import annotations

import copy
import functools
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sharing_platform.errors import DomainPermissionError
from sharing_platform.http import AuthenticatedHttpRequest
from sharing_platform.pages import domain_error_pages, refusal_shown_on

from ..catalogue_cache import cached_page, page_params
from ..filters import InstrumentFilter
from ..forms_catalogue import InstrumentForm, catalogue_form_widgets
from ..permissions import can_manage_instrument, can_manage_unit_instruments
from ..selectors.catalogue import (
    catalogue_rows,
    instrument_catalogue_queryset,
    instrument_get_visible,
    unit_for_instrument_create,
    units_where_user_lists_instruments,
)
from ..selectors.photos import instrument_photos
from ..services.instruments import instrument_create, instrument_retire, instrument_update

PAGE_SIZE = 20
PHOTOS_SHOWN = 12


def _page_number(raw: str | None) -> int:
    try:
        number = int(raw or 1)
    except ValueError:
        return 1
    return max(number, 1)


def _page_link(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    if number <= 1:
        query.pop("page", None)
    else:
        query["page"] = str(number)
    return f"?{query.urlencode()}" if query else request.path


def catalogue(request: HttpRequest) -> HttpResponse:
    """Search and filter the catalogue; pages have next/previous links and never count the whole table.

    A visitor without a session or pending messages (anonymous, nothing of their own on the page) is served the
    whole page from the shared cache, with their CSRF token put in (`_whole_page`). Others get the page around
    the cached form and results (`_catalogue_page`)."""
    if _stateless_visitor(request):
        return _whole_page(request)
    return _catalogue_page(request)


def _stateless_visitor(request: HttpRequest) -> bool:
    """A GET by someone the page says nothing about: no session cookie (so not signed in, and no messages kept in
    a session) and no messages cookie. Their page differs from another such visitor's only by the CSRF token."""
    return (
        request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
        and not request.user.is_authenticated
    )


@functools.cache
def _static_build() -> str:
    """The deployed static files' names (hashed in production): a page cached by an earlier build, which links
    files that may be gone, is not served by this one."""
    return static("css/app.css") + " " + static("js/app.js")


def _whole_page(request: HttpRequest) -> HttpResponse:
    """The whole page (header, form, results, footer) for a stateless visitor, kept in the shared cache per path
    and query string (the language form links back to it), language, static build and catalogue generation
    (catalogue_cache): a repeated page is one cache round trip and no template. It is rendered with a random
    placeholder for the CSRF token (the language form's), stored beside the page, and every answer puts the
    visitor's own token in its place (`get_token`, which also sets the CSRF cookie as rendering would)."""

    def render_whole() -> tuple[str, int, str]:
        placeholder = secrets.token_hex(16)
        response = _catalogue_page(request, csrf_token=placeholder)
        return placeholder, response.status_code, response.content.decode()

    path = [("@path", request.get_full_path()), ("@static", _static_build())]
    placeholder, status, html = cached_page("whole", path, render_whole)
    return HttpResponse(html.replace(placeholder, get_token(request)), status=status)


def _catalogue_page(request: HttpRequest, *, csrf_token: str | None = None) -> HttpResponse:
    """The page around the form and results: their HTML is kept in the shared cache (catalogue_cache) per query
    string, language, sign-in and catalogue generation, so a repeated page costs one cache round trip and the
    page around it (the signed-in user's own links, the site's header). When it is not cached, the filters'
    verdict and the page of lean rows (the API's shape) are read through the same cache per filter set, then
    rendered. `csrf_token`: the token the page's forms carry (a placeholder, for `_whole_page`)."""
    page_number = _page_number(request.GET.get("page"))
    offset = (page_number - 1) * PAGE_SIZE

    def make_filterset() -> InstrumentFilter:
        filterset = InstrumentFilter(request.GET, queryset=instrument_catalogue_queryset())
        catalogue_form_widgets(filterset.form)  # the drop-downs read their options only when rendered
        return filterset

    # Built only when something is not cached (the page's verdict and rows, or the form's HTML).
    filterset = SimpleLazyObject(make_filterset)

    def read_page() -> dict:
        if not filterset.is_valid():
            return {"valid": False, "rows": [], "has_next": False, "unit_filter": None}
        rows, has_next = catalogue_rows(queryset=filterset.qs, offset=offset, page_size=PAGE_SIZE)
        unit = filterset.form.cleaned_data.get("unit")
        return {
            "valid": True,
            "rows": rows,
            "has_next": has_next,
            "unit_filter": {"id": unit.pk, "display_name": unit.display_name} if unit else None,
        }

    params = page_params(request.GET, InstrumentFilter.base_filters, offset=offset, page_size=PAGE_SIZE)
    page = SimpleLazyObject(lambda: cached_page("page", params, read_page))

    def render_parts() -> dict:
        context = {
            "filter_form": SimpleLazyObject(lambda: filterset.form),
            "instruments": page["rows"],
            "page_number": page_number,
            "next_link": _page_link(request, page_number + 1) if page["has_next"] else None,
            "previous_link": _page_link(request, page_number - 1) if page_number > 1 else None,
            "filtering": any(value for key, value in request.GET.items() if key not in {"page", "ordering"}),
            "invalid": not page["valid"],
            "unit_filter": page["unit_filter"],
        }
        return {
            "valid": page["valid"],
            "form": str(render_to_string("instruments/catalogue/_filter_form.html", context, request)),
            "results": str(render_to_string("instruments/catalogue/_results.html", context, request)),
        }

    # The links keep unknown parameters and their order, and the empty page's links differ by sign-in.
    key = [(name, repr(values)) for name, values in request.GET.lists()]
    parts = cached_page("html", [*key, ("@signed_in", str(request.user.is_authenticated))], render_parts)
    context = {
        "catalogue_form": mark_safe(parts["form"]),  # noqa: S308 (our own template's output)
        "catalogue_results": mark_safe(parts["results"]),  # noqa: S308 (our own template's output)
        "listing_units": units_where_user_lists_instruments(user=request.user),
        "instruments": SimpleLazyObject(lambda: page["rows"]),  # not rendered here: for whoever inspects the page
    }
    if csrf_token is not None:
        context["csrf_token"] = csrf_token  # above the context processor's
    return render(request, "instruments/catalogue/list.html", context, status=200 if parts["valid"] else 400)


@domain_error_pages
def instrument_detail(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = instrument_get_visible(user=request.user, pk=pk)
    context = {
        "instrument": instrument,
        "can_manage": can_manage_instrument(request.user, instrument),
        "photos": list(instrument_photos(instrument=instrument)[:PHOTOS_SHOWN]),
    }
    return render(request, "instruments/catalogue/detail.html", context)


def _form_render(request: HttpRequest, form, *, unit, instrument) -> HttpResponse:
    status = 400 if form.errors else 200
    context = {"form": form, "unit": unit, "instrument": instrument}
    return render(request, "instruments/catalogue/form.html", context, status=status)


def _create_page(request: HttpRequest, refusal, unit_pk: int) -> HttpResponse:
    return _form_render(request, refusal.form, unit=unit_for_instrument_create(pk=unit_pk), instrument=None)


@login_required
@require_http_methods(["GET", "POST"])
@domain_error_pages(form_page=_create_page)
def instrument_create_page(request: AuthenticatedHttpRequest, unit_pk: int) -> HttpResponse:
    unit = unit_for_instrument_create(pk=unit_pk)
    if not can_manage_unit_instruments(request.user, unit):
        raise DomainPermissionError(
            _("Only the unit's instrument managers and unit admins of a verified unit may do this.")
        )
    form = InstrumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            instrument = instrument_create(actor=request.user, unit=unit, **form.cleaned_data)
        messages.success(request, _("The instrument is listed."))
        return redirect("instrument-detail", pk=instrument.pk)
    return _form_render(request, form, unit=unit, instrument=None)


def _managed_or_403(request: HttpRequest, pk: int):
    instrument = instrument_get_visible(user=request.user, pk=pk)
    if not can_manage_instrument(request.user, instrument):
        raise DomainPermissionError(_("Only the unit's instrument managers and unit admins may do this."))
    return instrument


def _edit_page(request: HttpRequest, refusal, pk: int) -> HttpResponse:
    instrument = _managed_or_403(request, pk)
    return _form_render(request, refusal.form, unit=instrument.unit, instrument=instrument)


def _instrument_url(request: HttpRequest, pk: int) -> str:
    return reverse("instrument-detail", args=[pk])


@login_required
@require_http_methods(["GET", "POST"])
@domain_error_pages(form_page=_edit_page)
def instrument_edit_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    instrument = _managed_or_403(request, pk)
    if instrument.status == instrument.Status.RETIRED:
        messages.error(request, _("This instrument is retired and can no longer be edited."))
        return redirect("instrument-detail", pk=instrument.pk)
    # The form writes into its instance while validating; keep the page's own copy clean.
    form = InstrumentForm(request.POST or None, instance=copy.copy(instrument))
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            instrument_update(actor=request.user, instrument=instrument, **form.cleaned_data)
        messages.success(request, _("Changes saved."))
        return redirect("instrument-detail", pk=instrument.pk)
    return _form_render(request, form, unit=instrument.unit, instrument=instrument)


@login_required
@require_http_methods(["GET", "POST"])
@domain_error_pages(redirect_to=_instrument_url)
def instrument_retire_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    instrument = _managed_or_403(request, pk)
    if request.method == "POST":
        instrument_retire(actor=request.user, instrument=instrument)
        messages.success(request, _("The instrument is retired and no longer listed."))
        return redirect("instrument-detail", pk=instrument.pk)
    return render(request, "instruments/catalogue/retire.html", {"instrument": instrument})
