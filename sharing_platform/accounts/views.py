"""Account pages. Log in and log out are Django's own views; sign up and e-mail confirmation are here."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from knox.models import AuthToken

from sharing_platform.http import AuthenticatedHttpRequest
from sharing_platform.pages import domain_error_pages, refusal_shown_on

from .forms import EmailConfirmForm, SignupForm
from .services import api_token_create, email_confirm, user_register


def _next_url(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return next_url if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}) else ""


def _signup_page(request: HttpRequest, refusal) -> HttpResponse:
    return render(request, "registration/signup.html", {"form": refusal.form, "next": _next_url(request)})


@domain_error_pages(form_page=_signup_page)
def signup(request: HttpRequest) -> HttpResponse:
    """Create the account and sign in. The same answer whether or not the e-mail address is taken: the mail
    sent to it says which (a confirmation link, or a notice to the address's owner)."""
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
                site_url=request.build_absolute_uri("/"),
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _(
                "Welcome, %(name)s. Your account is ready. We sent a message to %(email)s: follow its link to "
                "confirm the address."
            )
            % {"name": user.get_username(), "email": form.cleaned_data["email"]},
        )
        return redirect(next_url or "home")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


def _email_confirm_refused(request: HttpRequest, error, token: str) -> HttpResponse:
    return render(request, "registration/email_confirm.html", {"error": error.message}, status=400)


@domain_error_pages(refusal_page=_email_confirm_refused)
def email_confirm_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with one button; POST: attach the address to the account (see EmailConfirmForm)."""
    if request.method == "POST" and EmailConfirmForm(request.POST).is_valid():
        user = email_confirm(token=token)
        messages.success(
            request,
            _("The address %(email)s is confirmed for the account %(name)s.")
            % {"email": user.email, "name": user.get_username()},
        )
        return redirect("home")
    return render(request, "registration/email_confirm.html", {"form": EmailConfirmForm()})


@login_required
@domain_error_pages(redirect_to=lambda request: "api-tokens")
def api_tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The account menu's token page: make an API token (shown once), see how many are live.

    For everybody, and the only way for people who sign in through their institution (no password here).
    """
    token = None
    if request.method == "POST":
        _instance, token = api_token_create(user=request.user)
    live = AuthToken.objects.filter(user=request.user, expiry__gt=timezone.now()).order_by("-created")
    return render(request, "registration/api_tokens.html", {"token": token, "live_tokens": live})
