"""`Authorization: Bearer <key>` for DRF.

The caller is a client's system, not a staff member: `request.auth` is its ApiKey and
`request.user` stays anonymous (history rows and audit events must never take a client
system for a staff user). `HasApiKey` is the permission every API view requires.
"""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions

from .keys import ApiKeyError, api_key_check
from .models import ApiKey


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header:
            return None  # NotAuthenticated: "Authentication credentials were not provided."
        if header[0].lower() != self.keyword.lower() or len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the API key as: Authorization: Bearer <key>.")
            )
        try:
            api_key = api_key_check(header[1])
        except ApiKeyError as error:
            raise exceptions.AuthenticationFailed(str(error)) from None
        return AnonymousUser(), api_key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403.
        return f'{self.keyword} realm="api"'


class HasApiKey(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)
