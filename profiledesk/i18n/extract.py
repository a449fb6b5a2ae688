"""The msgids a template or a Python module asks to translate, without system gettext:
a template is turned into Python-like source by Django's own `templatize` (what
`makemessages` feeds to xgettext), then Babel's Python extractor reads it.

Used by tests/i18n/test_catalogues.py (every customer-facing msgid has its Spanish) and,
when a string is added, by `python -m profiledesk.i18n.extract PATH...` to list what the
catalogue is missing.
"""

import io
import sys
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_python
from babel.messages.pofile import read_po

# Django's translation functions, and for each the arguments that are msgids.
KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


# gettext's own key for a msgid with a context ("portal" + EOT + msgid): one English
# sentence may read differently on two pages (the portal says "usted", the
# "this wasn't me" page "tú").
CONTEXT_SEPARATOR = "\x04"


def _python_msgids(source: str) -> set[str]:
    found: set[str] = set()
    for _line, function, message, _comments in extract_python(
        io.BytesIO(source.encode()), KEYWORDS, [], {"encoding": "utf-8"}
    ):
        # Plural calls give a tuple of (singular, plural); a context comes first.
        parts = list(message) if isinstance(message, tuple | list) else [message]
        takes_context = isinstance(function, str) and function.startswith(("pgettext", "npgettext"))
        context = parts.pop(0) if takes_context else None
        for msgid in parts:
            if isinstance(msgid, str) and msgid:
                found.add(f"{context}{CONTEXT_SEPARATOR}{msgid}" if context else msgid)
    return found


def msgids(path: Path) -> set[str]:
    """The msgids `path` (a .py module or a Django template) marks for translation."""
    source = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        return _python_msgids(source)
    # Imported here: templatize needs Django's settings, a .py module does not.
    from django.utils.translation.template import templatize

    return _python_msgids(templatize(source, origin=str(path)))


def translations(po_paths: list[Path]) -> dict[str, str]:
    """msgid -> msgstr of every non-fuzzy, non-empty entry of these catalogues."""
    found: dict[str, str] = {}
    for po in po_paths:
        with po.open("rb") as source:
            catalog = read_po(source)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
            strings = (
                message.string if isinstance(message.string, tuple | list) else (message.string,)
            )
            prefix = f"{message.context}{CONTEXT_SEPARATOR}" if message.context else ""
            if all(strings):
                for msgid in ids:
                    found.setdefault(f"{prefix}{msgid}", str(strings[0]))
    return found


if __name__ == "__main__":
    import django

    django.setup()
    from profiledesk.i18n.catalogues import po_files

    known = translations([po for po in po_files() if "/es/" in str(po)])
    for name in sys.argv[1:]:
        for msgid in sorted(msgids(Path(name)) - set(known)):
            sys.stdout.write(f"{name}: {msgid!r}\n")
