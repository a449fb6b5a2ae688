"""Sign-in enforcement: second factor on every page, idle and absolute session limits."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from .access import access_of

SESSION_STARTED = "desk_started_at"
SESSION_SEEN = "desk_seen_at"
# Writing the session on every request would cost a query each time; a minute of
# slack on a 15-minute idle limit is harmless.
SEEN_RESOLUTION_SECONDS = 30
# Self-refreshing panels send this header: a queue left open is not an active person.
BACKGROUND_HEADER = "HTTP_X_DESK_BACKGROUND"


def idle_seconds_left(request: HttpRequest) -> int:
    """Seconds before this session's idle sign-out (the warning counts down from it)."""
    seen = request.session.get(SESSION_SEEN, int(time.time()))
    idle = int(settings.SESSION_IDLE_TIMEOUT.total_seconds())
    return max(0, idle - (int(time.time()) - seen))


def session_mark_active(request: HttpRequest) -> None:
    """The staff member is here now (the idle warning's "Stay signed in")."""
    request.session[SESSION_SEEN] = int(time.time())


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


class SessionLifetimeMiddleware:
    """Ends a staff session after 15 idle minutes or 12 hours in all (PCI DSS 8.2.8)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.get(SESSION_STARTED, now)
            seen = request.session.get(SESSION_SEEN, now)
            idle = settings.SESSION_IDLE_TIMEOUT.total_seconds()
            absolute = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
            if now - seen > idle or now - started > absolute:
                reason = (
                    _("You were signed out after %(minutes)d minutes without activity.")
                    % {"minutes": idle // 60}
                    if now - seen > idle
                    else _("Your session reached its %(hours)d-hour limit. Please sign in again.")
                    % {"hours": absolute // 3600}
                )
                logout(request)
                messages.info(request, reason)
                return _redirect(request, reverse(settings.LOGIN_URL))
            if SESSION_STARTED not in request.session:
                request.session[SESSION_STARTED] = started
            active = request.META.get(BACKGROUND_HEADER) != "1"
            if (
                active and now - seen >= SEEN_RESOLUTION_SECONDS
            ) or SESSION_SEEN not in request.session:
                request.session[SESSION_SEEN] = now
        return self.get_response(request)


class RequireSecondFactorMiddleware:
    """No desk page without password *and* a verified TOTP device (docs/design.md §1)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        access = access_of(view_func)
        if access == "public":
            return None
        user = request.user
        if not user.is_authenticated:
            login = reverse(settings.LOGIN_URL)
            return _redirect(request, f"{login}?{urlencode({'next': request.get_full_path()})}")
        if access == "password_step" or user.is_verified():
            return None
        otp = reverse("accounts:otp")
        return _redirect(request, f"{otp}?{urlencode({'next': request.get_full_path()})}")
