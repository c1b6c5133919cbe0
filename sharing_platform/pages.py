"""One place that turns a domain error raised while a page handles a request into the page a person expects.

A page view is decorated with `@domain_error_pages(...)` and calls services without catching anything:

- `DomainNotFoundError` -> the 404 page;
- `DomainPermissionError` -> the 403 page, saying why (templates/403.html);
- any other refusal (invalid input, a clash with the current state):
  - raised inside `with refusal_shown_on(form):` -> the messages go next to the fields they name in that
    form, and `form_page(request, refusal, *view_args)` renders the page again (status 400);
  - otherwise `refusal_page(request, error, *view_args)` if the view has one (a page that shows the
    problem itself), else the message is flashed and the browser is sent to `redirect_to(request,
    *view_args)` (an action button's page).

The API maps the same errors in sharing_platform/api/exceptions.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect

from .errors import DomainError, DomainNotFoundError, DomainPermissionError


@dataclass
class FormRefusalError(Exception):
    """A service refused what a form submitted; the form already carries the messages."""

    form: object
    error: DomainError
    context: dict = field(default_factory=dict)  # anything else the page shows with the form


def form_add_refusal(form, error: DomainError, *, field_map: dict | None = None) -> None:
    """Put a service's refusal next to the fields it names, or above the form."""
    field_map = field_map or {}
    items = error.errors or [{"field": error.field, "message": error.message}]
    for item in items:
        name = field_map.get(item.get("field"), item.get("field"))
        if name and name not in form.fields:
            name = name.rsplit(".", 1)[-1]  # "hours.2.opens" (a nested item) -> "opens"
        form.add_error(name if name in form.fields else None, item["message"])


@contextmanager
def refusal_shown_on(
    form, *, field_map: dict | None = None, conflicts: bool = True, add_to_form: bool = True, **context
) -> Iterator[None]:
    """Inside this block a refused write is shown on `form` (page views decorated with domain_error_pages).

    `field_map` renames the services' field names to the form's; `conflicts=False` leaves a clash with
    the current state to the view's redirect_to; `add_to_form=False` leaves the showing to form_page
    (which gets the error and `context`)."""
    try:
        yield
    except (DomainPermissionError, DomainNotFoundError):
        raise
    except DomainError as error:
        if error.status_code == 409 and not conflicts:
            raise
        if add_to_form:
            form_add_refusal(form, error, field_map=field_map)
        raise FormRefusalError(form, error, context) from error


def _message_and_redirect(request, error: DomainError, target) -> HttpResponse:
    messages.error(request, error.message)
    return target if isinstance(target, HttpResponse) else redirect(target)


def domain_error_pages(
    view: Callable | None = None,
    *,
    form_page: Callable[..., HttpResponse] | None = None,
    refusal_page: Callable[..., HttpResponse] | None = None,
    redirect_to: Callable[..., str | HttpResponse] | None = None,
):
    """Decorate a page view so the domain errors it raises become the right response (see the module)."""

    def decorate(page_view: Callable) -> Callable:
        @functools.wraps(page_view)
        def wrapper(request, *args, **kwargs):
            try:
                return page_view(request, *args, **kwargs)
            except FormRefusalError as refusal:
                if form_page is None:
                    raise
                return form_page(request, refusal, *args, **kwargs)
            except DomainNotFoundError as error:
                raise Http404(error.message) from error
            except DomainPermissionError as error:
                raise PermissionDenied(error.message) from error
            except DomainError as error:
                if refusal_page is not None:
                    return refusal_page(request, error, *args, **kwargs)
                if redirect_to is None:
                    raise
                return _message_and_redirect(request, error, redirect_to(request, *args, **kwargs))

        return wrapper

    return decorate(view) if view is not None else decorate
