"""What a customer reads, as the files that hold its words: every msgid these templates
and modules mark for translation must have its Spanish (test_catalogues.py). Globs, so a
new file in a listed folder is covered without an edit here.

Add a line when a customer starts reading something new; the staff desk (English only,
settings.LANGUAGES aside) is not listed.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

TEMPLATES = [
    # The "this wasn't me" pages (confirmations.views.report).
    "templates/confirmations/report.html",
    # The customer URLs' "not found" page (profiledesk.i18n.views.page_not_found).
    "templates/i18n/*.html",
    # The messages a customer receives: written out per language (messages/<t>/<lang>/),
    # but any {% translate %} a client's or the desk's template uses is covered too.
    "templates/messages/**/*.html",
    "templates/messages/**/*.txt",
    # The customer portal (issue 17), wherever its templates live.
    "templates/portal/**/*.html",
    "templates/portal/**/*.txt",
    "profiledesk/portal/templates/**/*.html",
    "profiledesk/portal/templates/**/*.txt",
]

MODULES = [
    # The profile's words: field labels and choices, shown in confirmations and the portal.
    "profiledesk/customers/models.py",
    # The field table's own labels (commands, vault-held fields).
    "profiledesk/intake/fields.py",
    # Displays the desk writes into a change ("Yes", "Send … a password reset link").
    "profiledesk/intake/wording.py",
    # The one set of capture rules the portal binds too (STYLE 12): the category forms'
    # labels, help and errors, a value's errors, and the change's ("Nothing to change").
    "profiledesk/intake/forms.py",
    "profiledesk/intake/validators.py",
    "profiledesk/intake/capture.py",
    # The customer portal's views, forms and messages.
    "profiledesk/portal/*.py",
    "profiledesk/portal/templatetags/*.py",
    # A request's category on the portal (any ticket of the customer's, a desk-made one
    # too: "Security", "Linked accounts"); its status is the portal's own words.
    "profiledesk/policies/categories.py",
]


def files() -> list[Path]:
    found: dict[Path, None] = {}
    for pattern in TEMPLATES + MODULES:
        for path in sorted(ROOT.glob(pattern)):
            if path.is_file() and "migrations" not in path.parts:
                found[path] = None
    return list(found)
