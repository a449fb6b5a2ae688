"""The ticket page stays true while several people have it open (docs/design.md §10).

- **Has it changed?** `Ticket.version` is bumped whenever a row the page shows is
  written: by the ticket's own save for a move, claim, reassign or take-over; otherwise
  (`services.ticket_touch`, one UPDATE, no history row) for a staff member's comment, the
  change items, and the steps' rows they register at app ready (`ticket_rows_register`:
  verification's attempts and codes, approvals). The
  page's poll sends the version it shows; the same version, the same viewers: 204.
- **Who is here**: `presence.presence_beat` (Redis, with a TTL); names come from staff
  who share the ticket's client, never from the request.
- **What changed**: `ticket_news` names the latest event in a sentence ("Susan Decker
  started verification"); `stale_refusal` answers a move the page no longer allows
  because someone else moved or claimed the ticket with that sentence instead of the
  state machine's refusal.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from profiledesk.accounts.models import User
from profiledesk.accounts.naming import staff_name

from .models import ChangeItem, State, Ticket, TicketEvent
from .services import ticket_touch

# --- has it changed? ----------------------------------------------------------------------


def _row_written(sender: type[Model], instance: Model, raw: bool = False, **kwargs: object) -> None:
    if raw:  # loaddata
        return
    if isinstance(instance, TicketEvent) and (
        instance.kind in (TicketEvent.Kind.TRANSITION, TicketEvent.Kind.ASSIGNED)
        or instance.actor_id is None
    ):
        # A move or an assignment bumped the version in its own save of the ticket. The
        # desk's own notes (workers: confirmations sent, a system failing) do not take the
        # ticket's row for it: they show with the next change or reload.
        return
    ticket_id = getattr(instance, "ticket_id", None)
    if ticket_id is not None:
        ticket_touch(ticket_id=ticket_id)


def ticket_rows_register(*models: type[Model]) -> None:
    """Rows of `models` (each with a `ticket` foreign key) are shown on the ticket page:
    writing or deleting one bumps the ticket's version. Called from AppConfig.ready()."""
    for model in models:
        uid = f"ticket-touch:{model._meta.label}"
        post_save.connect(_row_written, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(_row_written, sender=model, dispatch_uid=uid + ":delete", weak=False)


def tickets_rows_register() -> None:
    """The tickets app's own rows (TicketsConfig.ready)."""
    ticket_rows_register(TicketEvent, ChangeItem)


# --- what changed -----------------------------------------------------------------------

# What a move does, said of the person who made it.
_DONE: dict[str, object] = {
    State.VERIFYING: gettext_lazy("started verification"),
    State.READY: gettext_lazy("marked it verified"),
    State.VERIFICATION_FAILED: gettext_lazy("marked verification failed"),
    State.PENDING_APPROVAL: gettext_lazy("submitted it for approval"),
    State.APPROVED: gettext_lazy("approved it"),
    State.REJECTED: gettext_lazy("rejected it"),
    State.APPLIED: gettext_lazy("applied it"),
    State.CLOSED: gettext_lazy("closed it"),
    State.CANCELLED: gettext_lazy("cancelled it"),
    State.ESCALATED: gettext_lazy("sent it to security"),
    State.ROLLED_BACK: gettext_lazy("rolled it back"),
}


@dataclass(frozen=True)
class News:
    actor_id: int | None
    who: str
    what: str
    at: dt.datetime

    def sentence(self) -> str:
        return f"{self.who} {self.what}"


def _news_of(event: TicketEvent) -> News:
    who = staff_name(event.actor) if event.actor_id else _("The desk")
    if event.kind == TicketEvent.Kind.TRANSITION:
        done = _DONE.get(event.to_state)
        what = str(done) if done else _("moved it to “%(state)s”") % {"state": event.to_state}
    elif event.kind == TicketEvent.Kind.ASSIGNED:
        # The services write "Claimed by …", "Taken over by …", "Assigned to …" (English,
        # or the language of the day: both are recognised by their first word).
        first = event.message.split(" ", 1)[0]
        if first in ("Claimed", _("Claimed by %(name)s.").split(" ", 1)[0]):
            what = _("claimed it")
        elif first in ("Taken", _("Taken over by %(name)s from %(previous)s.").split(" ", 1)[0]):
            what = _("took it over")
        else:
            what = _("reassigned it")
    elif event.kind == TicketEvent.Kind.COMMENT:
        what = _("commented")
    elif event.kind == TicketEvent.Kind.CREATED:
        what = _("opened it")
    else:
        what = _("added a note")
    return News(actor_id=event.actor_id, who=who, what=str(what), at=event.at)


def ticket_news(ticket: Ticket) -> News | None:
    """The ticket's latest timeline event as a sentence (one query, on the (ticket, at)
    index)."""
    event = (
        TicketEvent.objects.filter(ticket_id=ticket.pk)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    return _news_of(event) if event is not None else None


def _latest(ticket: Ticket, kind: str) -> TicketEvent | None:
    return (
        TicketEvent.objects.filter(ticket_id=ticket.pk, kind=kind)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )


def stale_refusal(request: HttpRequest, ticket: Ticket) -> str | None:
    """A refused action posted from a page that showed the ticket in another state or with
    another assignee (the page's script sends `seen_state` / `seen_assignee`): what
    changed, in a sentence — "Susan Decker started verification at 10:04; the page now
    shows it." None when the page was current (the step's own refusal is the answer)."""
    seen_state = request.POST.get("seen_state", "")
    seen_assignee = request.POST.get("seen_assignee")
    event = None
    if seen_state and seen_state != ticket.state:
        event = _latest(ticket, TicketEvent.Kind.TRANSITION)
    elif seen_assignee is not None and seen_assignee != str(ticket.assignee_id or ""):
        event = _latest(ticket, TicketEvent.Kind.ASSIGNED)
    if event is None:
        return None
    news = _news_of(event)
    return _("%(news)s at %(time)s; the page now shows it.") % {
        "news": news.sentence(),
        "time": timezone.localtime(news.at).strftime("%H:%M"),
    }


# --- who is here -------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    id: int
    name: str
    is_assignee: bool


def viewers_named(ticket: Ticket, seen: dict[int, float], *, me: User) -> list[Viewer]:
    """The others among `seen` (staff ids with the ticket open), named, keeping only staff
    who work for the ticket's client (one query; none when nobody else is here)."""
    others = [uid for uid in seen if uid != me.pk]
    if not others:
        return []
    people = User.objects.filter(
        pk__in=others, memberships__client_id=ticket.client_id, is_active=True
    ).distinct()
    return sorted(
        (Viewer(p.pk, staff_name(p), p.pk == ticket.assignee_id) for p in people),
        key=lambda v: v.name,
    )


def presence_signature(seen: dict[int, float], *, me: User) -> str:
    """Who else is here, as the page says it: sorted ids (compared, never shown)."""
    return ".".join(str(uid) for uid in sorted(seen) if uid != me.pk)


def live_context(
    ticket: Ticket,
    user: User,
    *,
    seen: dict[int, float],
    timeline: list[TicketEvent] | None = None,
) -> dict:
    """The presence strip's context: the others here, named (one query, none when alone),
    and the latest change (one query, none when the page's `timeline` is given)."""
    if timeline is not None:
        news = _news_of(timeline[-1]) if timeline else None
    else:
        news = ticket_news(ticket)
    return {
        "ticket": ticket,
        "live": {
            "version": ticket.version,
            "viewers": viewers_named(ticket, seen, me=user),
            "signature": presence_signature(seen, me=user),
            "news": news,
            "me": user.pk,
        },
    }
