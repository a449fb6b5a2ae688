"""The staff notification list, marking read, and the navigation badges' poll."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from profiledesk.accounts.requests import StaffRequest

from .access import get_notification_for_staff, require_notifications
from .selectors import (
    APPROVALS,
    BADGE_CAP,
    CONNECTORS,
    ESCALATIONS,
    EXPORTS,
    UNREAD,
    badges_cached,
    notifications_page,
)
from .services import notification_mark_read, notifications_mark_all_read


def _after(request: StaffRequest) -> int | None:
    value = request.GET.get("after", "")
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise ValueError(value)
    return int(value)


@require_GET
def notification_list(request: StaffRequest) -> HttpResponse:
    require_notifications(request.user)
    try:
        after = _after(request)
    except ValueError:
        return HttpResponseBadRequest(_("The page asked for (after) is not a notification."))
    page = notifications_page(user=request.user, after=after)
    return render(request, "notifications/list.html", {"page": page, "paged": after is not None})


def _back(request: StaffRequest) -> str:
    after = request.POST.get("after", "")
    target = reverse("notifications:list")
    return f"{target}?after={after}" if after.isdigit() else target


@require_POST
def mark_read(request: StaffRequest, notification_id: int) -> HttpResponse:
    notification = get_notification_for_staff(request.user, notification_id)
    notification_mark_read(notification=notification, by=request.user)
    return redirect(_back(request))


@require_POST
def mark_all_read(request: StaffRequest) -> HttpResponse:
    require_notifications(request.user)
    notifications_mark_all_read(by=request.user)
    return redirect("notifications:list")


def _shown(count: int) -> str:
    return f"{BADGE_CAP}+" if count > BADGE_CAP else str(count)


def _badge(key: str, count: int) -> dict[str, object]:
    """A badge as the navigation shows it: a short label, the count as text, and the
    sentence a screen reader hears (the count is never colour only)."""
    n = _shown(count)
    labels = {
        APPROVALS: (
            _("To approve"),
            ngettext("Approvals, %(n)s waiting for you", "Approvals, %(n)s waiting for you", count),
            reverse("approvals:queue"),
        ),
        ESCALATIONS: (
            _("Escalations"),
            ngettext("Escalations, %(n)s waiting", "Escalations, %(n)s waiting", count),
            reverse("security:queue"),
        ),
        CONNECTORS: (
            _("Failing systems"),
            ngettext(
                "Downstream systems, %(n)s failing", "Downstream systems, %(n)s failing", count
            ),
            reverse("tickets:queue"),
        ),
        EXPORTS: (
            _("Exports ready"),
            ngettext("Exports, %(n)s ready to download", "Exports, %(n)s ready to download", count),
            reverse("exports:list"),
        ),
        UNREAD: (
            _("Notifications"),
            ngettext("Notifications, %(n)s unread", "Notifications, %(n)s unread", count),
            reverse("notifications:list"),
        ),
    }
    label, text, url = labels[key]
    return {
        "key": key,
        "count": count,
        "shown": n,
        "label": label,
        "text": text % {"n": n},
        "url": url,
    }


@require_GET
def badges(request: StaffRequest) -> JsonResponse:
    """The navigation's badges (static/desk/badges.js asks every 30 s in the background):
    only those of the staff member's roles, counts cached per user for a few seconds."""
    require_notifications(request.user)
    counts = badges_cached(user=request.user)
    return JsonResponse(
        {
            "badges": [_badge(key, count) for key, count in counts.items()],
            "poll": settings.NOTIFICATIONS_POLL_SECONDS,
        }
    )
