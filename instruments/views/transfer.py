"""Pages for bulk import and export of a unit's instruments. Thin: forms in, services do the work.

The import page checks a file first (a dry run) and keeps it, on the server, until the person
confirms; the confirmed import re-validates the same bytes in one transaction.
"""

from __future__ import annotations

import hashlib
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from sharing_platform.pages import domain_error_pages, refusal_shown_on
from sharing_platform.uploads import random_file_name

from ..api.transfer import export_response
from ..forms_transfer import InstrumentImportConfirmForm, InstrumentImportForm
from ..selectors.transfer import transfer_unit_get
from ..services.transfer import instrument_import
from ..services.transfer_formats import column_guide, template_file, upload_content

PENDING_DIR = "instrument-imports"


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


def _import_refused(request, refusal, unit_pk: int):
    """The file was not imported: the page again, with the problem and every row at fault."""
    unit = transfer_unit_get(user=request.user, unit_id=unit_pk)
    error = refusal.error
    form = refusal.form
    return _render(
        request, unit, form=form, status=400, problem=error.message, row_errors=error.errors or [], **refusal.context
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_error_pages(form_page=_import_refused)
def instrument_import_page(request, unit_pk: int):
    unit = transfer_unit_get(user=request.user, unit_id=unit_pk)
    if request.method == "GET":
        return _render(request, unit, form=InstrumentImportForm())
    if "token" in request.POST:
        return _confirm(request, unit)
    form = InstrumentImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, unit, form=form, status=400)
    upload = form.cleaned_data["file"]
    dry_run = form.cleaned_data["dry_run"]
    with refusal_shown_on(form, add_to_form=False, file_name=upload.name):
        content = upload_content(upload)
        result = instrument_import(
            actor=request.user, unit=unit, file_name=upload.name, content=content, dry_run=dry_run
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
    # The unit's instruments may have changed since the check: a refusal shows what is wrong now.
    _pending_discard(request, unit)
    with refusal_shown_on(InstrumentImportForm(), add_to_form=False, file_name=pending["name"]):
        result = instrument_import(actor=request.user, unit=unit, file_name=pending["name"], content=content)
    _done_message(request, result)
    return redirect("instrument-import", unit_pk=unit.pk)


def _download_refused(request, error, **kwargs) -> HttpResponse:
    """A file download asked for wrongly (an unknown format): the reason, in plain text."""
    return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
@domain_error_pages(refusal_page=_download_refused)
def instrument_export_page(request, unit_pk: int):
    unit = transfer_unit_get(user=request.user, unit_id=unit_pk)
    return export_response(
        unit=unit,
        file_format=request.GET.get("format", "csv"),
        chinese_headers=request.GET.get("headers") == "zh",
    )


@require_GET
@domain_error_pages(refusal_page=_download_refused)
def instrument_import_template(request):
    file_format = request.GET.get("format", "xlsx")
    content, content_type = template_file(file_format=file_format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="instrument-import-template.{file_format}"'
    return response
