"""Account pages. Log in and log out are Django's own views; sign up is here."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from sharing_platform.pages import domain_error_pages, refusal_shown_on

from .forms import SignupForm
from .services import user_register


def _next_url(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return next_url if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}) else ""


def _signup_page(request: HttpRequest, refusal) -> HttpResponse:
    return render(request, "registration/signup.html", {"form": refusal.form, "next": _next_url(request)})


@domain_error_pages(form_page=_signup_page)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    next_url = _next_url(request)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            user = user_register(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome, %(name)s. Your account is ready.") % {"name": user.get_username()})
        return redirect(next_url or "home")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
