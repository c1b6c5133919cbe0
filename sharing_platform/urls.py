"""Top-level routes: pages per app, the versioned API, the schema and docs, admin, i18n."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import HttpResponseRedirect, JsonResponse
from django.templatetags.static import static as static_url
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from identity.views import SignInView
from sharing_platform.health import healthz


@csrf_exempt  # it never writes; without this a POST to a wrong /api/ URL would get the CSRF page, not JSON
def api_not_found(request, *args, **kwargs):
    """Any /api/ path no route matched: a JSON 404 in the API's error shape, never an HTML page."""
    return JsonResponse(
        {
            "detail": _("No API endpoint at %(path)s; the API root is /api/v1/.") % {"path": request.path},
            "code": "not_found",
        },
        status=404,
    )


def favicon(request):
    """The icon in static files (its hashed name in production), for clients that ask /favicon.ico."""
    return HttpResponseRedirect(static_url("favicon.ico"))


urlpatterns = [
    path("healthz", healthz, name="healthz"),  # liveness/readiness: database and broker
    path("favicon.ico", favicon),  # browsers ask for it whatever the pages link to
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # identity: the sign-in page lists the institutions' providers (same name and path as Django's login)
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/", include("sharing_platform.accounts.urls")),
    path("", include("identity.urls")),  # /accounts/cas/callback/, /accounts/oidc/callback/, /identity/providers/
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script as its own file (?script): no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("sharing_platform.api.urls")),
    path("api/auth/", include("rest_framework.urls")),  # the browsable API's "Log in" link
    re_path(r"^api/", api_not_found),  # last of the /api/ routes: everything else there is a JSON 404
    path("bookings/", include("bookings.urls")),
    path("billing/", include("billing.urls")),
    path("credit/", include("credit.urls")),
    path("moderation/", include("credit.urls_moderation")),  # credit: the admins' moderation queue
    path("analytics/", include("analytics.urls")),
    path("notifications/", include("notifications.urls")),  # WeCom / DingTalk group robots
    path("", include("instruments.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
