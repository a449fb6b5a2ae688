"""The versions of a customer's history page, rendered by Jinja2 (issue 20).

A history page holds 25 versions with ~100 masked values, each value with its reveal form
for compliance. Drawn by Django's template engine (`templates/audit/_version.html`, still
used by the staff-activity and ticket-audit pages) every variable, tag, `{% trans %}`,
`|date` and `{% csrf_token %}` costs a few microseconds, about 0.8 ms a version: most of the
page. Here every value a version prints is worked out once in Python (`VersionLine`,
`ChangeLine`), the words are translated once a page, URLs are one reversed pattern with the
ids substituted, and the page's forms share one CSRF token. The template
(`templates/audit/_versions.html`) is rendered by Jinja2 with autoescape on: every value is
escaped, nothing is marked safe here (docs/performance.md, "Ticket page, search and history
rendering").
"""

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django import forms
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from markupsafe import Markup, escape

from profiledesk.approvals.models import Approval
from profiledesk.browser.filter_fields import filter_fields
from profiledesk.browser.jinja import jinja_environment
from profiledesk.connectors.models import Delivery
from profiledesk.messaging.models import Message
from profiledesk.rollback.rules import RESTORABLE_KEYS
from profiledesk.rollback.templatetags.rollback_tags import links_for
from profiledesk.tickets.models import Ticket
from verification.methods import label as method_label
from verification.models import Attempt

from .history import Group, TicketFacts, Version

if TYPE_CHECKING:
    from profiledesk.accounts.models import User

# Stand-ins reversed with, then replaced by each version's own values.
_ID = 987654321987
_SLUG = "xmodelx"


@dataclass(frozen=True, slots=True)
class CellLine:
    """One value as drawn: a dash, or the masked text with (for compliance) its reveal
    form's URL and htmx target."""

    dash: bool
    text: str  # "—" when there is none
    target: str  # "" when the viewer may not reveal it
    url: str


@dataclass(frozen=True, slots=True)
class ChangeLine:
    field: str
    label: str  # capitalised
    reveal_reason_label: str
    reveal_label: str
    cells: tuple[CellLine, ...]


@dataclass(frozen=True, slots=True)
class VersionLine:
    history_id: int
    section: str
    at_iso: str  # the |date:"c" of old, in the client's time zone
    at_text: str  # "Y-m-d H:i:s", same zone
    model_label: str  # capitalised
    subject: str
    kind: str  # "created" | "changed" | "deleted"
    kind_label: str
    badge: str  # the badge's colour class
    staff_url: str  # "" when no staff member wrote it
    staff_name: str  # "system" when nobody is named
    changes: tuple[ChangeLine, ...]
    restore_url: str  # "" when the viewer may not restore this version


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True, slots=True)
class _PageWords:
    """What every version of a page shares, translated and reversed once a page."""

    zone: ZoneInfo
    staff_pattern: str
    restore_pattern: str
    kinds: dict[str, str]
    system: str
    reason_text: str
    reveal_text: str


def _page_words(time_zone: str) -> _PageWords:
    return _PageWords(
        zone=ZoneInfo(time_zone),
        staff_pattern=reverse("audit:staff_activity", args=[_ID]),
        restore_pattern=reverse("rollback:version", args=[_SLUG, _ID]),
        kinds={"created": _("created"), "deleted": _("deleted"), "changed": _("changed")},
        system=_("system"),
        reason_text=_("Reason for revealing %(label)s (recorded)"),
        reveal_text=_("Reveal %(label)s"),
    )


_BADGES = {"created": "text-bg-success", "deleted": "text-bg-danger"}


def version_lines(
    versions: list[Version],
    *,
    time_zone: str,
    can_reveal: bool,
    may_restore: bool,
    words: _PageWords | None = None,
) -> list[VersionLine]:
    """What each version of a customer's history page prints. No query. Reveal URLs come
    from `history.reveal_urls` (set only for a viewer who may reveal)."""
    w = words or _page_words(time_zone)
    zone, kinds, system = w.zone, w.kinds, w.system
    staff_pattern, restore_pattern = w.staff_pattern, w.restore_pattern
    reason_text, reveal_text = w.reason_text, w.reveal_text
    badges = _BADGES
    lines = []
    for version in versions:
        at: dt.datetime = version.at.astimezone(zone)
        changes = tuple(
            ChangeLine(
                field=change.field,
                label=_capfirst(change.label),
                reveal_reason_label=reason_text % {"label": change.label},
                reveal_label=reveal_text % {"label": change.label},
                cells=tuple(
                    CellLine(
                        dash=cell.dash,
                        text=str(cell.text) if cell.text else "—",
                        target=cell.target if can_reveal and cell.url else "",
                        url=cell.url if can_reveal else "",
                    )
                    for cell in change.cells
                ),
            )
            for change in version.changes
        )
        restorable = may_restore and version.model_key in RESTORABLE_KEYS and version.history_id
        lines.append(
            VersionLine(
                history_id=version.history_id,
                section=version.section,
                at_iso=at.isoformat(),
                at_text=f"{at:%Y-%m-%d %H:%M:%S}",
                model_label=_capfirst(version.model_label),
                subject=str(version.subject),
                kind=version.kind,
                kind_label=kinds.get(version.kind, kinds["changed"]),
                badge=badges.get(version.kind, "text-bg-secondary"),
                staff_url=staff_pattern.replace(str(_ID), str(version.staff_id))
                if version.staff_id
                else "",
                staff_name=str(version.staff_name) or ("" if version.staff_id else system),
                changes=changes,
                restore_url=restore_pattern.replace(_SLUG, version.model_key).replace(
                    str(_ID), str(version.history_id)
                )
                if restorable
                else "",
            )
        )
    return lines


@dataclass(frozen=True, slots=True)
class AttemptLine:
    method: str
    new_contact: bool
    result: str
    staff: str  # "no agent: recorded by the desk" when none
    at: str


@dataclass(frozen=True, slots=True)
class ApprovalLine:
    tier: str  # "Tier 2"
    approver: str
    decision: str
    reason: str
    at: str
    voided: bool


@dataclass(frozen=True, slots=True)
class ConfirmationLine:
    channel: str
    recipient_masked: str
    status: str
    at: str  # "" when not sent yet


@dataclass(frozen=True, slots=True)
class RollbackLine:
    """A rollback ticket of this one: "Rolled back by", "Rollback requested in" or
    "Rollback … (state)" (templates/rollback/_restore_ticket.html)."""

    reference: str
    url: str
    done: bool
    open: bool
    label: str


@dataclass(frozen=True, slots=True)
class TicketHead:
    """What a ticket group's header prints about its ticket (the evidence an auditor
    reads: verification, approvals, confirmations, rollbacks)."""

    reference: str
    url: str
    category: str
    channel: str
    state: str
    opened_by: str
    waiver: str  # "Waived by … · …"; "" when verification was not waived
    waiver_reason: str
    attempts: tuple[AttemptLine, ...]
    approvals: tuple[ApprovalLine, ...]
    confirmations: tuple[ConfirmationLine, ...]
    # The rollback links (profiledesk.rollback.templatetags.rollback_links, same rules).
    rollback_of: str
    rollback_of_url: str
    is_rollback: bool
    rollbacks: tuple[RollbackLine, ...]
    rollback_url: str  # "" unless the viewer may roll it back now

    @property
    def rollback_links(self) -> bool:
        return bool(self.rollback_of or self.rollbacks or self.is_rollback or self.rollback_url)


@dataclass(frozen=True, slots=True)
class GroupLine:
    reference: str
    ticket: TicketHead | None
    heading: str  # without a ticket: its reason, or "Change without a ticket"
    staff_url: str  # "" when no staff member wrote it
    staff_name: str
    at_iso: str
    at_text: str  # "Y-m-d H:i" in the client's zone
    versions: list[VersionLine]


def _choices(model, name: str) -> dict[str, str]:
    """A field's labels in the request's language (`get_FOO_display` rebuilds the dict
    on every call)."""
    return _choices_in(model, name, get_language())


@functools.cache
def _choices_in(model, name: str, language: str | None) -> dict[str, str]:
    # Keyed on the language: the labels are constants of the code in each (a few dozen
    # entries in all). Callers only read the dict.
    return {str(value): str(text) for value, text in model._meta.get_field(name).flatchoices}


class _HeadWords:
    """What every group header of a page shares, translated and reversed once a page."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.category = _choices(Ticket, "category")
        self.channel = _choices(Ticket, "channel")
        self.states = _choices(Ticket, "state")
        self.result = _choices(Attempt, "result")
        self.decision = _choices(Approval, "decision")
        self.message_channel = _choices(Message, "channel")
        self.message_status = _choices(Message, "status")
        self.delivery_status = _choices(Delivery, "status")
        self.app = _("App")
        self.audit_pattern = reverse("audit:ticket_audit", args=[_SLUG])
        self.ticket_pattern = reverse("tickets:detail", args=[_SLUG])
        self.rollback_pattern = reverse("rollback:ticket", args=[_SLUG])
        self.staff_pattern = reverse("audit:staff_activity", args=[_ID])
        self.client_systems = _("the client's systems")
        self.no_agent = _("no agent: recorded by the desk")
        self.no_ticket = _("Change without a ticket")
        self.system = _("system")
        self.waived = _("Waived by %(who)s · %(at)s")
        self.tier = _("Tier %(tier)s")

    def when(self, moment: dt.datetime | None) -> str:
        """`|date:"Y-m-d H:i"` in the client's zone ("" for none, as the filter)."""
        return "" if moment is None else f"{moment.astimezone(self.zone):%Y-%m-%d %H:%M}"

    def url(self, pattern: str, reference: str) -> str:
        return pattern.replace(_SLUG, reference)


def _label(labels: dict[str, str], value: str) -> str:
    return labels.get(value, value)


def _ticket_head(ticket: TicketFacts, words: _HeadWords, user: "User") -> TicketHead:
    waiver = ticket.waiver
    # The same rules as the ticket page's links (profiledesk.rollback.templatetags).
    links = links_for(
        state=ticket.state,
        is_rollback=ticket.is_rollback,
        of=ticket.rollback_of or None,
        rollbacks=lambda: ticket.rollbacks,
        user=user,
    )
    return TicketHead(
        reference=ticket.reference,
        url=words.url(words.audit_pattern, ticket.reference),
        category=_label(words.category, ticket.category),
        channel=_label(words.channel, ticket.channel),
        state=_label(words.states, ticket.state),
        opened_by=ticket.created_by or words.client_systems,
        waiver=words.waived % {"who": waiver.by, "at": words.when(waiver.at)} if waiver else "",
        waiver_reason=waiver.reason if waiver else "",
        attempts=tuple(
            AttemptLine(
                method=method_label(attempt.method),
                new_contact=attempt.purpose == "new_contact",
                result=_label(words.result, attempt.result),
                staff=attempt.staff or words.no_agent,
                at=words.when(attempt.at),
            )
            for attempt in ticket.attempts
        ),
        approvals=tuple(
            ApprovalLine(
                tier=words.tier % {"tier": approval.tier},
                approver=approval.approver,
                decision=_label(words.decision, approval.decision),
                reason=approval.reason,
                at=words.when(approval.decided_at),
                voided=approval.voided_at is not None,
            )
            for approval in ticket.approvals
        ),
        confirmations=tuple(
            ConfirmationLine(
                channel=_label(words.message_channel, confirmation.channel)
                if confirmation.channel
                else words.app,
                recipient_masked=confirmation.recipient_masked,
                status=_label(
                    words.message_status if confirmation.channel else words.delivery_status,
                    confirmation.status,
                ),
                at=words.when(confirmation.done_at),
            )
            for confirmation in ticket.confirmations
        ),
        rollback_of=links["of"] or "",
        rollback_of_url=words.url(words.ticket_pattern, links["of"]) if links["of"] else "",
        is_rollback=bool(links["is_rollback"]),
        rollbacks=tuple(
            RollbackLine(
                reference=row["reference"],
                url=words.url(words.ticket_pattern, row["reference"]),
                done=row["state"] in ("applied", "closed"),
                open=row["open"],
                label=str(row["label"]),
            )
            for row in links["by"]
        ),
        rollback_url=words.url(words.rollback_pattern, ticket.reference)
        if links["can_request"]
        else "",
    )


def group_lines(
    groups: list[Group],
    *,
    time_zone: str,
    user: "User",
    can_reveal: bool,
    may_restore: bool,
) -> list[GroupLine]:
    """What each group of a customer's history page prints, its header and versions.
    No query: the groups come enriched (`history._enrich`: tickets with their rollbacks
    and waiver, attempts, approvals, confirmations)."""
    words = _page_words(time_zone)
    head = _HeadWords(words.zone)
    lines = []
    for group in groups:
        at = group.at.astimezone(words.zone)
        lines.append(
            GroupLine(
                reference=group.reference,
                ticket=_ticket_head(group.ticket, head, user) if group.ticket is not None else None,
                heading=group.reason or head.no_ticket,
                staff_url=head.staff_pattern.replace(str(_ID), str(group.staff_id))
                if group.staff_id
                else "",
                staff_name=group.staff_name if group.staff_id else group.staff_name or head.system,
                at_iso=at.isoformat(),
                at_text=f"{at:%Y-%m-%d %H:%M}",
                versions=version_lines(
                    group.versions,
                    time_zone=time_zone,
                    can_reveal=can_reveal,
                    may_restore=may_restore,
                    words=words,
                ),
            )
        )
    return lines


def _labels() -> dict[str, Markup]:
    """The words of the page's groups, translated once a page and escaped once (`escape`
    gives Markup, which autoescape prints as it is)."""
    words = {
        "by": _("by"),
        "field": _("Field"),
        "before": _("Before"),
        "after": _("After"),
        "reveal": _("Reveal"),
        "reason_placeholder": _("Reason (recorded)"),
        "no_change": _("No visible field changed."),
        "restore": _("Restore these values"),
        "opened_by": _("opened by"),
        "applied_by": _("applied by"),
        "verification": _("Verification"),
        "new_contact": _("new contact"),
        "none_recorded": _("None recorded."),
        "approvals": _("Approvals"),
        "none_needed": _("None needed."),
        "voided": _("voided"),
        "confirmations": _("Confirmations"),
        "none_sent": _("None sent."),
        "rollback": _("Rollback"),
        "rollback_of": _("Rollback of"),
        "restores": _("Restores a past version (see the first comment)"),
        "rolled_back_by": _("Rolled back by"),
        "rollback_requested": _("Rollback requested in"),
        "roll_back": _("Roll back this change"),
    }
    return {name: escape(text) for name, text in words.items()}


def groups_html(
    groups: list[Group],
    *,
    time_zone: str,
    user: "User",
    can_reveal: bool,
    may_restore: bool,
    csrf_token: str,
) -> Markup:
    """The page's groups, headers and versions, rendered by Jinja2 with every value
    escaped by its autoescape. The output comes as Markup through the `__html__`
    protocol, which the Django template around it prints as it is."""
    lines = group_lines(
        groups, time_zone=time_zone, user=user, can_reveal=can_reveal, may_restore=may_restore
    )
    template = jinja_environment().get_template("audit/_versions.html")
    module = template.make_module(
        {"groups": lines, "labels": _labels(), "csrf_token": escape(csrf_token)}
    )
    return module.__html__()


def filters_html(form: forms.Form) -> Markup | None:
    """The history page's filter fields (label and control each), rendered by Jinja2
    (Django's widgets render a template a `<select>` and one a `<option>`). None when the
    form has errors or a field Django must print: the page then prints them the Django
    way, with each error tied to its field."""
    fields = filter_fields(form)
    if fields is None:
        return None
    template = jinja_environment().get_template("audit/_history_filters.html")
    return template.make_module({"fields": fields}).__html__()
