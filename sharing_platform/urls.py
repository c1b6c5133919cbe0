"""Top-level routes: pages per app, the versioned API, the schema and docs, admin, i18n."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from identity.views import SignInView
from sharing_platform.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),  # liveness/readiness: database and broker
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # identity: the sign-in page lists the institutions' providers (same name and path as Django's login)
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/", include("sharing_platform.accounts.urls")),
    path("", include("identity.urls")),  # /accounts/cas/callback/, /accounts/oidc/callback/, /identity/providers/
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("sharing_platform.api.urls")),
    path("bookings/", include("bookings.urls")),
    path("credit/", include("credit.urls")),
    path("moderation/", include("credit.urls_moderation")),  # credit: the admins' moderation queue
    path("analytics/", include("analytics.urls")),
    path("notifications/", include("notifications.urls")),  # WeCom / DingTalk group robots
    path("", include("instruments.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
