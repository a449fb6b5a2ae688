"""Staff sessions: recorded at sign-in, rotated at the second factor, ended on request."""

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from .models import StaffSession, User


def staff_session_started(*, user: User, request) -> None:
    now = timezone.now()
    StaffSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "started_at": now,
            "last_seen_at": now,
            "ip_address": request.META.get("REMOTE_ADDR"),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )


def staff_session_rotate(*, request) -> None:
    """A new session key (against fixation) that keeps its StaffSession row."""
    old_key = request.session.session_key
    request.session.cycle_key()
    StaffSession.objects.filter(session_key=old_key).update(
        session_key=request.session.session_key, last_seen_at=timezone.now()
    )


@transaction.atomic
def staff_sessions_end(
    *, user: User, keep_session_key: str | None = None, only_keys: list[str] | None = None
) -> int:
    """End `user`'s sessions (all, all but one, or the listed ones); returns how many ended."""
    sessions = StaffSession.objects.filter(user=user)
    if only_keys is not None:
        sessions = sessions.filter(session_key__in=only_keys)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    keys = list(sessions.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    sessions.delete()
    return len(keys)
