"""A change item's words in the reader's language, when a customer's message or page is
rendered (docs/design.md §6: "templates per client and per language").

Capture stores an item's label and displays in the desk's language, English
(`capture._stored_words`): they are what staff read and what history keeps. A customer
reads them in their own language, so these functions look them up again at render time
(lazily: the text is chosen by the language active when the template renders it) —
nothing translated is ever stored:

- the label, from the field table (`fields.FieldSpec.label`: a model field's
  `verbose_name` or the table's own `_LABELS`), the stored label if the field is unknown;
- a display the desk itself wrote (yes / no, a choice's label, a command's description,
  "New image (…)", "•••••• (set)"), looked up as the msgid it was made from;
  a value the customer or staff typed (a name, an address) is shown as it is.
"""

import re
from functools import cache
from typing import Protocol

from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop

from .fields import Kind, resolve_field

# Displays capture writes from a sentence of its own (capture.py; privacy.masking's
# SECRET_SET for a secret — tests/i18n keeps them in step): each is the msgid of the
# customer's translation. %(name)s parts are values.
STORED_PHRASES = (
    gettext_noop("Yes"),
    gettext_noop("No"),
    gettext_noop("Send the customer a password reset link"),
    gettext_noop("Remove two-factor sign-in; the customer enrols again"),
    gettext_noop("End every session of the customer"),
    gettext_noop("Last reset %(when)s"),
    gettext_noop("Unlinked"),
    gettext_noop("New image (%(format)s, %(width)s × %(height)s px)"),
    gettext_noop("New image"),
    gettext_noop("Current image"),
    gettext_noop("•••••• (set)"),
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class Item(Protocol):
    section: str
    field: str
    label: str
    old_display: str
    new_display: str


@cache
def _pattern(phrase: str) -> re.Pattern[str]:
    parts, last = [], 0
    for match in _PLACEHOLDER.finditer(phrase):
        parts.append(re.escape(phrase[last : match.start()]))
        parts.append(f"(?P<{match.group(1)}>.+?)")
        last = match.end()
    parts.append(re.escape(phrase[last:]))
    return re.compile("".join(parts) + r"\Z")


def _translated_phrase(shown: str) -> str | None:
    for phrase in STORED_PHRASES:
        match = _pattern(phrase).match(shown)
        if match is not None:
            return gettext(phrase) % match.groupdict() if match.groupdict() else gettext(phrase)
    return None


def _desk_worded(section: str, field: str) -> bool:
    """Whether the field's displays are words of the desk's (a choice, yes / no, a
    command, a picture, a secret) rather than a value someone typed."""
    try:
        spec = resolve_field(section, field)
    except LookupError:
        return False
    if spec.kind != Kind.VALUE:
        return True
    model_field = spec.model._meta.get_field(spec.name)
    return bool(
        getattr(model_field, "choices", None)
        or isinstance(model_field, models.BooleanField | models.FileField)
    ) or spec.name.endswith(("_hash", "vault_token"))


def _label(section: str, field: str, stored: str) -> str:
    try:
        return resolve_field(section, field).label
    except LookupError:
        return stored


def _display(section: str, field: str, shown: str) -> str:
    if not shown or not _desk_worded(section, field):
        return shown
    phrase = _translated_phrase(shown)
    if phrase is not None:
        return phrase
    return gettext(shown)  # a choice's label is its own msgid


item_label = lazy(_label, str)
item_display = lazy(_display, str)


def item_words(item: Item) -> dict[str, str]:
    """{"label", "old", "new"} of a change item, each rendered in the active language."""
    return {
        "label": item_label(item.section, item.field, item.label),
        "old": item_display(item.section, item.field, item.old_display),
        "new": item_display(item.section, item.field, item.new_display),
    }
