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
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils.translation import gettext as _
from markupsafe import Markup

from profiledesk.browser.jinja import jinja_environment
from profiledesk.rollback.rules import RESTORABLE_KEYS

from .history import Group, Version

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


def group_versions_html(
    groups: list[Group],
    *,
    time_zone: str,
    can_reveal: bool,
    may_restore: bool,
    csrf_token: str,
) -> list[tuple[Group, Markup]]:
    """Each group of the page with its versions' `<li>`s, rendered, every value escaped
    by Jinja2's autoescape. The output comes as Markup through the `__html__` protocol,
    which the Django template around it prints as it is."""
    labels = {
        "by": _("by"),
        "field": _("Field"),
        "before": _("Before"),
        "after": _("After"),
        "reveal": _("Reveal"),
        "reason_placeholder": _("Reason (recorded)"),
        "no_change": _("No visible field changed."),
        "restore": _("Restore these values"),
    }
    template = jinja_environment().get_template("audit/_versions.html")
    words = _page_words(time_zone)
    rendered = []
    for group in groups:
        lines = version_lines(
            group.versions,
            time_zone=time_zone,
            can_reveal=can_reveal,
            may_restore=may_restore,
            words=words,
        )
        module = template.make_module(
            {"versions": lines, "labels": labels, "csrf_token": csrf_token}
        )
        rendered.append((group, module.__html__()))
    return rendered
