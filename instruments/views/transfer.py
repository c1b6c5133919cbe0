"""Pages for bulk import and export of a unit's instruments. Thin: forms in, services do the work.

The import page checks a file first (a dry run) and keeps it, on the server, until the person
confirms; the confirmed import re-validates the same bytes in one transaction.
"""

from __future__ import annotations

import hashlib
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from sharing_platform.errors import DomainError, DomainNotFoundError, DomainPermissionError
from sharing_platform.uploads import random_file_name

from ..api.transfer import export_response
from ..forms_transfer import InstrumentImportConfirmForm, InstrumentImportForm
from ..selectors.transfer import transfer_unit_get
from ..services.transfer import column_guide, instrument_import, template_file, upload_content

PENDING_DIR = "instrument-imports"


def _unit_for(request, unit_pk: int):
    try:
        return transfer_unit_get(user=request.user, unit_id=unit_pk)
    except DomainNotFoundError as error:
        raise Http404(error.message) from error
    except DomainPermissionError as error:
        raise PermissionDenied(error.message) from error


def _session_key(unit) -> str:
    return f"instrument-import-{unit.pk}"


def _pending_store(request, unit, name: str, content: bytes) -> str:
    """Keep a checked file until it is confirmed; the session remembers which one and its hash."""
    _pending_discard(request, unit)
    token = uuid.uuid4().hex
    path = default_storage.save(f"{PENDING_DIR}/{random_file_name(name)}", ContentFile(content))
    request.session[_session_key(unit)] = {
        "token": token,
        "path": path,
        "name": name,
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    return token


def _pending_discard(request, unit) -> None:
    pending = request.session.pop(_session_key(unit), None)
    if pending and default_storage.exists(pending["path"]):
        default_storage.delete(pending["path"])


def _render(request, unit, *, form, status=200, **context):
    context = {
        "unit": unit,
        "form": form,
        "columns": column_guide(),
        **context,
    }
    return render(request, "instruments/transfer/import.html", context, status=status)


def _done_message(request, result) -> None:
    messages.success(
        request,
        _("Import finished: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )


@login_required
@require_http_methods(["GET", "POST"])
def instrument_import_page(request, unit_pk: int):
    unit = _unit_for(request, unit_pk)
    if request.method == "GET":
        return _render(request, unit, form=InstrumentImportForm())
    if "token" in request.POST:
        return _confirm(request, unit)
    form = InstrumentImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, unit, form=form, status=400)
    upload = form.cleaned_data["file"]
    dry_run = form.cleaned_data["dry_run"]
    try:
        content = upload_content(upload)
        result = instrument_import(
            actor=request.user, unit=unit, file_name=upload.name, content=content, dry_run=dry_run
        )
    except DomainError as error:
        return _render(
            request,
            unit,
            form=form,
            status=400,
            problem=error.message,
            row_errors=error.errors or [],
            file_name=upload.name,
        )
    if not dry_run:
        _pending_discard(request, unit)
        _done_message(request, result)
        return redirect("instrument-import", unit_pk=unit.pk)
    token = _pending_store(request, unit, upload.name, content)
    return _render(
        request,
        unit,
        form=InstrumentImportForm(),
        result=result,
        preview_rows=[row for row in result.rows if row.action != "unchanged"],
        confirm_form=InstrumentImportConfirmForm(initial={"token": token}),
        file_name=upload.name,
    )


def _confirm(request, unit):
    form = InstrumentImportConfirmForm(request.POST)
    pending = request.session.get(_session_key(unit))
    if not form.is_valid() or not pending or pending["token"] != form.cleaned_data["token"]:
        messages.error(request, _("That checked file is no longer waiting; please upload it again."))
        return redirect("instrument-import", unit_pk=unit.pk)
    if not default_storage.exists(pending["path"]):
        request.session.pop(_session_key(unit), None)
        messages.error(request, _("That checked file is no longer waiting; please upload it again."))
        return redirect("instrument-import", unit_pk=unit.pk)
    with default_storage.open(pending["path"], "rb") as stored:
        content = stored.read()
    if hashlib.sha256(content).hexdigest() != pending["sha256"]:
        _pending_discard(request, unit)
        messages.error(request, _("That checked file is no longer waiting; please upload it again."))
        return redirect("instrument-import", unit_pk=unit.pk)
    try:
        result = instrument_import(actor=request.user, unit=unit, file_name=pending["name"], content=content)
    except DomainError as error:
        # The unit's instruments changed since the check: show what is wrong now.
        _pending_discard(request, unit)
        return _render(
            request,
            unit,
            form=InstrumentImportForm(),
            status=400,
            problem=error.message,
            row_errors=error.errors or [],
            file_name=pending["name"],
        )
    _pending_discard(request, unit)
    _done_message(request, result)
    return redirect("instrument-import", unit_pk=unit.pk)


@login_required
@require_GET
def instrument_export_page(request, unit_pk: int):
    unit = _unit_for(request, unit_pk)
    try:
        return export_response(
            unit=unit,
            file_format=request.GET.get("format", "csv"),
            chinese_headers=request.GET.get("headers") == "zh",
        )
    except DomainError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")


@require_GET
def instrument_import_template(request):
    file_format = request.GET.get("format", "xlsx")
    try:
        content, content_type = template_file(file_format=file_format)
    except DomainError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="instrument-import-template.{file_format}"'
    return response
