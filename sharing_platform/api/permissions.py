"""Base API permissions. The project default is DenyAll: each view opts in explicitly."""

from rest_framework.permissions import BasePermission


class DenyAll(BasePermission):
    message = "This endpoint does not allow access."

    def has_permission(self, request, view) -> bool:
        return False


class IsPlatformAdmin(BasePermission):
    """Platform admins are Django staff users."""

    message = "Only platform administrators may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
