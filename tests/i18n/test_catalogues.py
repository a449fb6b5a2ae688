"""Every string a customer reads has its Spanish, and the catalogues compile without
system gettext (issue 17: "a test fails if a customer-facing string has no Spanish
translation")."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

from profiledesk.i18n import catalogues
from profiledesk.i18n.extract import msgids, translations
from profiledesk.i18n.languages import CUSTOMER_LANGUAGES
from profiledesk.intake.fields import FIELD_SPECS
from profiledesk.intake.wording import STORED_PHRASES
from profiledesk.privacy.masking import SECRET_SET

from .customer_facing import ROOT, files

SPANISH = [po for po in catalogues.po_files() if po.parent.parent.name == "es"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")
TAG = re.compile(r"</?\w+")


def spanish() -> dict[str, str]:
    return translations(SPANISH)


def missing_in(paths: list[Path], known: dict[str, str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}: {msgid!r}"
        for path in paths
        for msgid in sorted(msgids(path))
        if msgid not in known
    ]


def test_every_customer_facing_string_has_its_spanish():
    assert SPANISH, "no Spanish catalogue found"
    assert missing_in(files(), spanish()) == []


def test_the_check_fails_on_a_string_without_spanish(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}{% translate "Did you not make this change?" %}'
        '{% translate "A sentence nobody translated" %}'
    )
    assert msgids(page) - set(spanish()) == {"A sentence nobody translated"}


def test_a_msgid_with_a_context_needs_its_own_spanish(tmp_path):
    """The portal's "this wasn't me" page says the confirmation page's English in "usted":
    its msgctxt entry must exist, the context-free one ("tú") does not stand in for it."""
    page = tmp_path / "page.html"
    page.write_text(
        '{% load i18n %}{% translate "Did you not make this change?" context "portal" %}'
        '{% translate "Did you not make this change?" context "elsewhere" %}'
    )
    assert msgids(page) - set(spanish()) == {"elsewhere\x04Did you not make this change?"}
    with translation.override("es"):
        assert translation.pgettext("portal", "Did you not make this change?") == (
            "¿No hizo usted este cambio?"
        )
        assert translation.gettext("Did you not make this change?") == "¿No has hecho este cambio?"


def test_a_fuzzy_or_empty_translation_counts_as_missing(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, fuzzy\nmsgid "Guessed"\nmsgstr "Adivinado"\n\n'
        'msgid "Empty"\nmsgstr ""\n\n'
        'msgid "Done"\nmsgstr "Hecho"\n',
        encoding="utf-8",
    )
    assert translations([po]) == {"Done": "Hecho"}


def test_the_customer_facing_list_covers_what_confirmations_render():
    listed = {path.relative_to(ROOT).as_posix() for path in files()}
    assert {
        "templates/confirmations/report.html",
        "profiledesk/customers/models.py",
        "profiledesk/intake/fields.py",
        "profiledesk/intake/wording.py",
        "templates/messages/confirmation/es/body.txt",
    } <= listed


def test_every_field_label_a_confirmation_can_show_is_spanish():
    """The labels come from the field table at render time: each differs in Spanish, but
    for the words that are the same in both languages."""
    same_in_both = {"IBAN", "Avatar"}
    untranslated = []
    for spec in FIELD_SPECS.values():
        english = spec.label
        with translation.override("es"):
            if spec.label == english and english not in same_in_both:
                untranslated.append(english)
    assert untranslated == []


def test_the_desk_written_displays_include_the_masking_modules_words():
    assert SECRET_SET in STORED_PHRASES


@pytest.mark.parametrize("po", SPANISH, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_translation_keeps_its_placeholders_and_markup(po):
    """A translation that drops or renames %(reference)s breaks the page (KeyError) or
    hides the value; one that drops <strong> changes what the customer sees."""
    with po.open("rb") as source:
        catalog = read_po(source)
    wrong = []
    for message in catalog:
        if not message.id or not message.string or isinstance(message.id, tuple):
            continue
        for pattern in (PLACEHOLDER, TAG):
            if sorted(pattern.findall(message.id)) != sorted(pattern.findall(message.string)):
                wrong.append(message.id)
    assert wrong == []


def test_the_customer_languages_are_the_settings_languages():
    assert dict(settings.LANGUAGES).keys() == CUSTOMER_LANGUAGES.keys()


# --- Compiling ---------------------------------------------------------------------------


def make_catalogue(root: Path, app: str, text: str, *, fuzzy: bool = False) -> Path:
    po = root / app / "locale" / "es" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    flag = "#, fuzzy\n" if fuzzy else ""
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'{flag}msgid "Hello"\nmsgstr "{text}"\n',
        encoding="utf-8",
    )
    return po


def test_every_locale_directory_is_compiled_a_new_apps_included(tmp_path):
    """A new app's catalogue is found by walking the tree: no list to edit."""
    first = make_catalogue(tmp_path / "profiledesk", "portal", "Hola")
    second = make_catalogue(tmp_path, "verification", "Buenas")
    make_catalogue(tmp_path / "node_modules", "some-package", "Nope")

    compiled = catalogues.compile_all(tmp_path)

    assert compiled == [first, second]
    assert first.with_suffix(".mo").exists() and second.with_suffix(".mo").exists()
    assert catalogues.compile_all(tmp_path) == []  # nothing stale: nothing rewritten


def test_a_compiled_catalogue_is_what_gettext_reads_and_leaves_fuzzy_entries_out(tmp_path):
    import gettext

    good = make_catalogue(tmp_path, "good", "Hola")
    guessed = make_catalogue(tmp_path, "guessed", "Hola", fuzzy=True)
    catalogues.compile_all(tmp_path)

    with good.with_suffix(".mo").open("rb") as mo:
        assert gettext.GNUTranslations(mo).gettext("Hello") == "Hola"
    with guessed.with_suffix(".mo").open("rb") as mo:
        assert gettext.GNUTranslations(mo).gettext("Hello") == "Hello"


def test_the_projects_catalogues_are_compiled_and_not_committed():
    for po in catalogues.po_files():
        assert po.with_suffix(".mo").exists(), po
    # Build output, never committed: the .po is the source.
    assert "*.mo" in (ROOT / ".gitignore").read_text().splitlines()


def test_a_deploy_without_compiled_catalogues_is_warned(tmp_path):
    from profiledesk.i18n.checks import stale_catalogues

    po = make_catalogue(tmp_path, "portal", "Hola")
    assert stale_catalogues(tmp_path) == [po]
    catalogues.compile_all(tmp_path)
    assert stale_catalogues(tmp_path) == []


def test_the_deploy_check_is_registered_and_quiet_when_compiled():
    from django.core.checks import registry, run_checks

    from profiledesk.i18n.checks import catalogues_compiled

    assert catalogues_compiled in registry.registry.get_checks(include_deployment_checks=True)
    messages = run_checks(include_deployment_checks=True)
    assert not [m for m in messages if m.id == "i18n.W001"]
