"""Staff sign-in: password, then TOTP (enrolling a device the first time); sessions."""

from base64 import b32encode
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .access import password_step, public
from .forms import TokenForm
from .middleware import idle_seconds_left, session_mark_active
from .models import StaffSession
from .sessions import staff_sessions_end
from .totp import confirmed_device, enrolment_device, qr_data_uri, second_factor_verify


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path of this desk only: redirect() would read "zz" as a view name (a 500).
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, request.is_secure()
    ):
        return candidate
    return reverse_lazy("home")


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = False

    def get_success_url(self) -> str:
        # The second factor comes next; carry the page the user was heading for.
        target = self.get_redirect_url()
        otp = reverse_lazy("accounts:otp")
        return f"{otp}?{urlencode({'next': target})}" if target else str(otp)


sign_in = public(SignInView.as_view())
sign_out = public(auth_views.LogoutView.as_view())


@password_step
def otp_verify(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():
        return redirect(_next_url(request))
    device = confirmed_device(request.user)
    if device is None:
        setup = reverse_lazy("accounts:otp_setup")
        return redirect(f"{setup}?{urlencode({'next': _next_url(request)})}")
    form = TokenForm(request.POST or None)
    if form.is_valid():
        allowed, _throttle = device.verify_is_allowed()
        if not allowed:
            # django-otp slows guessing down after each failure; say so instead of "wrong".
            form.add_error("token", _("Too many wrong codes. Wait a few seconds and try again."))
        elif second_factor_verify(request=request, device=device, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        else:
            form.add_error(
                "token", _("That code is not right, or it has expired. Try the next one.")
            )
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


@password_step
def otp_setup(request: HttpRequest) -> HttpResponse:
    if confirmed_device(request.user) is not None:
        return redirect("accounts:otp")
    device = enrolment_device(request.user)
    form = TokenForm(request.POST or None)
    if form.is_valid():
        if second_factor_verify(request=request, device=device, token=form.cleaned_data["token"]):
            messages.success(request, _("Your authenticator app is set up."))
            return redirect(_next_url(request))
        form.add_error("token", _("That code does not match. Check the app's clock and try again."))
    context = {
        "form": form,
        "qr_src": qr_data_uri(device),
        # What an app asks for when the QR code cannot be scanned: the key in base32.
        "secret": b32encode(device.bin_key).decode().rstrip("="),
        "next": _next_url(request),
    }
    return render(request, "accounts/otp_setup.html", context)


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = StaffSession.objects.filter(user=request.user).order_by("-last_seen_at")
    return render(
        request,
        "accounts/sessions.html",
        {"sessions": sessions, "current_key": request.session.session_key},
    )


@require_GET
def session_idle(request: HttpRequest) -> JsonResponse:
    """Seconds left before the idle sign-out, for the page's warning (static/desk/idle.js).
    Asked with the background header, so asking is not activity; once the limit has passed
    the middleware has already signed the user out (a redirect, not this answer)."""
    return JsonResponse({"remaining": idle_seconds_left(request)})


@require_POST
def session_stay(request: HttpRequest) -> JsonResponse:
    """The warning's "Stay signed in": the session is active again from now."""
    session_mark_active(request)
    return JsonResponse({"remaining": idle_seconds_left(request)})


@require_POST
@login_required
def session_end_others(request: HttpRequest) -> HttpResponse:
    ended = staff_sessions_end(user=request.user, keep_session_key=request.session.session_key)
    messages.success(request, _("Signed out of %(count)d other session(s).") % {"count": ended})
    return redirect("accounts:sessions")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:sessions")

    def form_valid(self, form):
        messages.success(self.request, _("Your password was changed."))
        return super().form_valid(form)


password_change = PasswordChangeView.as_view()
