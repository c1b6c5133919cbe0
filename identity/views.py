"""Sign-in pages: the providers on the sign-in page, CAS / OIDC round trips, the LDAP form, linking by password.

Every refusal goes back to the sign-in page with a message in words, writes nothing but its audit
row (services.sign_in_event_record) and a log line.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from identity.error_codes import IdentityErrorCode
from sharing_platform.errors import DomainError
from sharing_platform.pages import domain_error_pages

from . import services
from .forms import LdapSignInForm, LinkConfirmForm
from .models import IdentityProvider, SignInEvent
from .protocols import ExternalProfile, SignInRefusedError
from .protocols.cas import cas_login_url, cas_logout_request_ticket, cas_ticket_validate
from .protocols.ldap import ldap_authenticate
from .protocols.oidc import oidc_authorization_url, oidc_callback_profile, security_refusal
from .selectors import identity_provider_sign_in_list

FLOW_KEY = "identity_flow"  # {"provider": pk, "protocol": ..., "next": ..., "state": ... (OIDC)}
LINK_KEY = "identity_link"  # {"provider": pk, "user": pk, "profile": {...}, "expires": ts, "attempts": n}
LINK_MAX_ATTEMPTS = 5
LDAP_FAILURES_MAX = 10  # per IP and username within LDAP_FAILURES_WINDOW
LDAP_FAILURES_WINDOW = 15 * 60
BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignInView(LoginView):
    """Django's login view, plus the enabled institutional providers and the LDAP form."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        providers = identity_provider_sign_in_list()
        context["identity_providers"] = [p for p in providers if p.protocol != IdentityProvider.Protocol.LDAP]
        context["ldap_providers"] = [p for p in providers if p.protocol == IdentityProvider.Protocol.LDAP]
        return context


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _provider(pk) -> IdentityProvider | None:
    try:
        return IdentityProvider.objects.select_related("unit").filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def _refuse(
    request: HttpRequest,
    error: DomainError,
    *,
    provider: IdentityProvider | None = None,
    protocol: str = "",
    external_id: str = "",
) -> HttpResponse:
    services.sign_in_event_record(
        outcome=SignInEvent.Outcome.REFUSED,
        provider=provider,
        protocol=protocol,
        code=error.code,
        detail=getattr(error, "detail", "") or error.message,
        external_id=external_id,
        ip_address=_ip(request),
    )
    request.session.pop(FLOW_KEY, None)
    messages.error(request, error.message)
    return redirect("login")


def _flow_start(request: HttpRequest, provider: IdentityProvider, **extra) -> None:
    request.session[FLOW_KEY] = {
        "provider": provider.pk,
        "protocol": provider.protocol,
        "next": _safe_next(request, request.GET.get("next", "")),
        **extra,
    }


def _flow_take(request: HttpRequest, provider: IdentityProvider | None, protocol: str) -> tuple[IdentityProvider, dict]:
    """The sign-in this browser started (refuses answers nobody here asked for: login CSRF), and its provider."""
    flow = request.session.get(FLOW_KEY) or {}
    if provider is None or flow.get("provider") != provider.pk or flow.get("protocol") != protocol:
        raise SignInRefusedError(
            _("This sign-in was not started from this browser, or it was already used. Start again."),
            code=IdentityErrorCode.NO_PENDING_SIGN_IN,
            detail=f"session flow {flow!r}",
        )
    return provider, flow


def _complete(
    request: HttpRequest,
    *,
    provider: IdentityProvider,
    profile: ExternalProfile,
    next_url: str = "",
    cas_ticket: str = "",
) -> HttpResponse:
    outcome = services.external_sign_in(provider=provider, profile=profile)
    request.session.pop(FLOW_KEY, None)
    if outcome.link_candidate is not None:
        request.session[LINK_KEY] = {
            "provider": provider.pk,
            "user": outcome.link_candidate.pk,
            "profile": profile.as_session(),
            "next": next_url,
            "expires": time.time() + settings.IDENTITY_LINK_TTL_SECONDS,
            "attempts": 0,
        }
        services.sign_in_event_record(
            outcome=SignInEvent.Outcome.LINK_ASKED,
            provider=provider,
            external_id=profile.external_id,
            user=outcome.link_candidate,
            ip_address=_ip(request),
        )
        return redirect("identity:link-confirm")
    user = outcome.user
    if user is None:  # cannot happen: an outcome holds a user or a link candidate
        raise ValueError("The sign-in produced no account.")
    login(request, user, backend=BACKEND)
    if cas_ticket:
        services.cas_session_remember(
            provider=provider, ticket=cas_ticket, session_key=request.session.session_key or "", user=user
        )
    services.sign_in_event_record(
        outcome=SignInEvent.Outcome.CREATED if outcome.created else SignInEvent.Outcome.SIGNED_IN,
        provider=provider,
        external_id=profile.external_id,
        user=user,
        ip_address=_ip(request),
    )
    if outcome.created:
        messages.success(
            request,
            _("Welcome, %(name)s. Your account was created from %(provider)s.")
            % {"name": user.get_full_name() or user.get_username(), "provider": provider.name},
        )
    return redirect(next_url or "home")


# --- starting a round trip (CAS, OIDC) --------------------------------------------------------


def _cas_service_url(request: HttpRequest, provider: IdentityProvider) -> str:
    return request.build_absolute_uri(f"{reverse('identity:cas-callback')}?provider={provider.pk}")


@require_GET
def sign_in_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the browser to the provider's sign-in page."""
    provider = _provider(pk)
    try:
        provider = services.provider_usable(provider)
        if provider.protocol == IdentityProvider.Protocol.CAS:
            _flow_start(request, provider)
            return redirect(cas_login_url(provider, _cas_service_url(request, provider)))
        if provider.protocol == IdentityProvider.Protocol.OIDC:
            redirect_uri = request.build_absolute_uri(reverse("identity:oidc-callback"))
            url, state = oidc_authorization_url(provider, request, redirect_uri=redirect_uri)
            _flow_start(request, provider, state=state)
            return redirect(url)
        raise SignInRefusedError(
            _("Sign in with this provider using the form on the sign-in page."), code=IdentityErrorCode.USE_FORM
        )
    except SignInRefusedError as error:
        return _refuse(request, error, provider=provider)


# --- CAS --------------------------------------------------------------------------------------


@csrf_exempt  # the CAS server's single log-out POST carries no CSRF token; GET is the ticket redirect
@require_http_methods(["GET", "POST"])
def cas_callback(request: HttpRequest) -> HttpResponse:
    provider = _provider(request.GET.get("provider"))
    if request.method == "POST":
        return _cas_single_logout(request, provider)
    ticket = request.GET.get("ticket", "").strip()
    try:
        provider, flow = _flow_take(request, provider, IdentityProvider.Protocol.CAS)
        services.provider_usable(provider)
        if not ticket:
            raise SignInRefusedError(
                _("%(provider)s sent no sign-in ticket. Start the sign-in again.") % {"provider": provider.name},
                code=IdentityErrorCode.TICKET_MISSING,
            )
        profile = cas_ticket_validate(provider, ticket=ticket, service_url=_cas_service_url(request, provider))
        return _complete(request, provider=provider, profile=profile, next_url=flow.get("next", ""), cas_ticket=ticket)
    except SignInRefusedError as error:
        return _refuse(request, error, provider=provider, protocol=IdentityProvider.Protocol.CAS)


def _cas_single_logout(request: HttpRequest, provider: IdentityProvider | None) -> HttpResponse:
    """A CAS single log-out request: end the session the named ticket opened (unknown tickets change nothing).

    Some servers (django-mama-cas) post to the service URL without its query, so the provider may be
    unknown here; the ticket alone names the session (tickets are unique and unguessable).
    """
    ticket = cas_logout_request_ticket(request.POST.get("logoutRequest", ""))
    if not ticket:
        return HttpResponse(status=400)
    ended = services.cas_single_logout(provider=provider, ticket=ticket)
    if ended:
        services.sign_in_event_record(
            outcome=SignInEvent.Outcome.LOGGED_OUT,
            provider=ended[0],
            code=IdentityErrorCode.SINGLE_LOGOUT,
            user=ended[1],
            ip_address=_ip(request),
        )
    return HttpResponse(status=200)


# --- OpenID Connect ---------------------------------------------------------------------------


@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    flow = request.session.get(FLOW_KEY) or {}
    provider = _provider(flow.get("provider"))
    try:
        provider, _flow = _flow_take(request, provider, IdentityProvider.Protocol.OIDC)
        if request.GET.get("state") != flow.get("state"):
            raise security_refusal(provider, "state", f"state {request.GET.get('state')!r} is not the one sent")
        services.provider_usable(provider)
        profile = oidc_callback_profile(provider, request)
        return _complete(request, provider=provider, profile=profile, next_url=flow.get("next", ""))
    except SignInRefusedError as error:
        return _refuse(request, error, provider=provider, protocol=IdentityProvider.Protocol.OIDC)


# --- LDAP -------------------------------------------------------------------------------------


def _ldap_failures_key(request: HttpRequest, username: str) -> str:
    return f"identity:ldap-failures:{_ip(request)}:{username.strip().lower()}"


@require_POST
def ldap_sign_in(request: HttpRequest) -> HttpResponse:
    form = LdapSignInForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    provider = _provider(data.get("provider"))
    username = data.get("username") or ""
    failures_key = _ldap_failures_key(request, username)
    try:
        provider = services.provider_usable(provider)
        if provider.protocol != IdentityProvider.Protocol.LDAP:
            raise SignInRefusedError(
                _("That sign-in service is not known here."), code=IdentityErrorCode.PROVIDER_UNKNOWN
            )
        if cache.get(failures_key, 0) >= LDAP_FAILURES_MAX:
            raise SignInRefusedError(
                _("Too many failed attempts. Wait a quarter of an hour and try again."),
                code=IdentityErrorCode.TOO_MANY_ATTEMPTS,
            )
        try:
            profile = ldap_authenticate(provider, username=username, password=data.get("password") or "")
        except SignInRefusedError as error:
            if error.code == "bind_refused":
                cache.add(failures_key, 0, LDAP_FAILURES_WINDOW)
                cache.incr(failures_key)
            raise
        next_url = _safe_next(request, request.POST.get("next", ""))
        return _complete(request, provider=provider, profile=profile, next_url=next_url)
    except SignInRefusedError as error:
        return _refuse(request, error, provider=provider, protocol=IdentityProvider.Protocol.LDAP, external_id=username)


# --- linking an existing account --------------------------------------------------------------


def _pending_link(request: HttpRequest) -> dict | None:
    pending = request.session.get(LINK_KEY)
    if not pending or pending.get("expires", 0) < time.time():
        request.session.pop(LINK_KEY, None)
        return None
    return pending


@require_http_methods(["GET", "POST"])
@domain_error_pages(redirect_to=lambda request: reverse("login"))
def link_confirm(request: HttpRequest) -> HttpResponse:
    """An account with the provider's verified e-mail exists: its owner proves it with its password to link it."""
    pending = _pending_link(request)
    if pending is None:
        messages.error(request, _("There is no sign-in waiting for confirmation (it may have expired). Start again."))
        return redirect("login")
    provider = _provider(pending["provider"])
    user = get_user_model().objects.filter(pk=pending["user"]).first()
    if provider is None or user is None:
        request.session.pop(LINK_KEY, None)
        messages.error(request, _("There is no sign-in waiting for confirmation (it may have expired). Start again."))
        return redirect("login")
    profile = ExternalProfile.from_session(pending["profile"])
    form = LinkConfirmForm(request.POST or None)
    if request.method == "POST" and "cancel" in request.POST:
        request.session.pop(LINK_KEY, None)
        messages.info(request, _("Nothing was linked."))
        return redirect("login")
    if request.method == "POST" and form.is_valid():
        try:
            linked = services.external_identity_link(
                provider=provider, profile=profile, user=user, password=form.cleaned_data["password"]
            )
        except SignInRefusedError as error:
            request.session.pop(LINK_KEY, None)
            return _refuse(request, error, provider=provider, external_id=profile.external_id)
        except services.LinkPasswordRefusedError as error:
            pending["attempts"] = pending.get("attempts", 0) + 1
            services.sign_in_event_record(
                outcome=SignInEvent.Outcome.REFUSED,
                provider=provider,
                code=error.code,
                external_id=profile.external_id,
                user=user,
                ip_address=_ip(request),
            )
            if pending["attempts"] >= LINK_MAX_ATTEMPTS:
                request.session.pop(LINK_KEY, None)
                messages.error(request, _("Too many wrong passwords. Nothing was linked; start again."))
                return redirect("login")
            request.session[LINK_KEY] = pending
            form.add_error("password", error.message)
        else:
            request.session.pop(LINK_KEY, None)
            login(request, linked, backend=BACKEND)
            services.sign_in_event_record(
                outcome=SignInEvent.Outcome.LINKED,
                provider=provider,
                external_id=profile.external_id,
                user=linked,
                ip_address=_ip(request),
            )
            messages.success(
                request,
                _("Your account is now linked to %(provider)s. Next time, just sign in with it.")
                % {"provider": provider.name},
            )
            return redirect(pending.get("next") or "home")
    return render(
        request,
        "identity/link_confirm.html",
        {"form": form, "provider": provider, "account": user, "email": profile.email},
    )
