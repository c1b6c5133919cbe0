"""drf-spectacular: describe `Authorization: Api-Key <key>` as a security scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PartnerKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "partners.authentication.PartnerKeyAuthentication"
    name = "partnerApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Partner API key, sent as `Authorization: Api-Key <key>`. Scopes: catalogue:read, "
            "bookings:write, credit:read, credit:report, webhooks:manage.",
        }
