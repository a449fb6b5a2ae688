"""Sign-in bookkeeping: staff sessions and audit events for every sign-in outcome."""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.services import audit_record

from .models import StaffSession, User
from .sessions import staff_session_started


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    if request.session.session_key is None:
        request.session.save()
    staff_session_started(user=user, request=request)
    audit_record(action="staff.sign_in.password", actor=user, target=user, request=request)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # The username tried is kept (it may not exist); the password never is.
    audit_record(
        action="staff.sign_in.failed",
        data={"username": str(credentials.get("username", ""))[:150]},
        request=request,
    )


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if request is not None and request.session.session_key:
        StaffSession.objects.filter(session_key=request.session.session_key).delete()
    if user is not None:
        audit_record(action="staff.sign_out", actor=user, target=user, request=request)


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address=None, **kwargs):
    # django-axes locked the account (PCI DSS 8.3.4); nobody is signed in, so no actor.
    account = User.objects.filter(username=username).first() if username else None
    audit_record(
        action="staff.locked_out",
        target=account,
        data={
            "username": str(username or "")[:150],
            "after_failures": settings.AXES_FAILURE_LIMIT,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        request=request,
    )
