"""Identity provider API shapes. The secret is write-only: the API says whether one is set, never what it is."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from instruments.models import Unit

from ..models import ATTRIBUTE_KEYS, IdentityProvider

FIELDS = [
    "unit",
    "display_name",
    "display_name_en",
    "protocol",
    "enabled",
    "auto_membership",
    "server_url",
    "timeout_seconds",
    "cas_version",
    "ldap_tls",
    "ldap_tls_verify",
    "ldap_ca_certificate",
    "ldap_bind_mode",
    "ldap_user_dn_template",
    "ldap_bind_dn",
    "ldap_search_base",
    "ldap_search_filter",
    "oidc_client_id",
    "oidc_scopes",
    "secret_env_var",
    "attribute_map",
]


@extend_schema_field(
    {
        "type": "object",
        "description": "The provider's attribute name for each of our keys (unset keys use the protocol's default).",
        "properties": {key: {"type": "string", "maxLength": 100} for key in ATTRIBUTE_KEYS},
        "additionalProperties": False,
    }
)
class AttributeMapField(serializers.DictField):
    child = serializers.CharField(max_length=100, allow_blank=True)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        unknown = sorted(set(value) - set(ATTRIBUTE_KEYS))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown keys %(keys)s; use %(allowed)s.")
                % {"keys": ", ".join(unknown), "allowed": ", ".join(ATTRIBUTE_KEYS)}
            )
        return value


class IdentityProviderSerializer(serializers.ModelSerializer):
    attribute_map = AttributeMapField(read_only=True)
    unit_name = serializers.CharField(source="unit.display_name", read_only=True)
    name = serializers.CharField(read_only=True)
    has_secret = serializers.BooleanField(read_only=True)
    sign_in_url = serializers.SerializerMethodField()

    class Meta:
        model = IdentityProvider
        fields = ["id", "name", "unit_name", *FIELDS, "has_secret", "sign_in_url", "created_at", "updated_at"]
        read_only_fields = fields

    def get_sign_in_url(self, provider: IdentityProvider) -> str:
        return f"/accounts/sso/{provider.pk}/start/" if provider.protocol != IdentityProvider.Protocol.LDAP else ""


class IdentityProviderWriteSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    display_name = serializers.CharField(max_length=200)
    display_name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    protocol = serializers.ChoiceField(choices=IdentityProvider.Protocol.choices)
    enabled = serializers.BooleanField(required=False)
    auto_membership = serializers.BooleanField(required=False)
    server_url = serializers.CharField(max_length=500)
    timeout_seconds = serializers.IntegerField(min_value=1, max_value=60, required=False)
    cas_version = serializers.ChoiceField(choices=IdentityProvider.CasVersion.choices, required=False)
    ldap_tls = serializers.ChoiceField(choices=IdentityProvider.LdapTls.choices, required=False, allow_blank=True)
    ldap_tls_verify = serializers.BooleanField(required=False)
    ldap_ca_certificate = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    ldap_bind_mode = serializers.ChoiceField(
        choices=IdentityProvider.LdapBindMode.choices, required=False, allow_blank=True
    )
    ldap_user_dn_template = serializers.CharField(max_length=300, required=False, allow_blank=True)
    ldap_bind_dn = serializers.CharField(max_length=300, required=False, allow_blank=True)
    ldap_search_base = serializers.CharField(max_length=300, required=False, allow_blank=True)
    ldap_search_filter = serializers.CharField(max_length=300, required=False, allow_blank=True)
    oidc_client_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    oidc_scopes = serializers.CharField(max_length=300, required=False, allow_blank=True)
    secret_env_var = serializers.CharField(max_length=100, required=False, allow_blank=True)
    attribute_map = AttributeMapField(required=False)
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        trim_whitespace=False,
        help_text=_("LDAP service account password or OIDC client secret; stored encrypted, never returned. "),
    )

    class Meta:
        fields = [*FIELDS, "secret"]
