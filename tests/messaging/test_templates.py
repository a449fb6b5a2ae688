"""Message templates per client and language: the client's own folder first, then the
desk's; the message's language first, then English."""

import copy

import pytest

from profiledesk.messaging.rendering import message_render

from .helpers import CODE, queue_otp

pytestmark = pytest.mark.django_db

CONTEXT = {"code": CODE, "valid_minutes": 10, "client_name": "Solaris Telecom"}


@pytest.fixture
def client_templates(settings, tmp_path):
    """An extra template folder (first in DIRS) where a test writes client overrides."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates

    def write(relative: str, text: str) -> None:
        path = tmp_path / "messages" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    return write


def test_spanish_is_used_for_language_es(solaris):
    rendered = message_render(
        client_slug=solaris.slug, template="otp", language="es", context=CONTEXT
    )

    assert rendered.subject == "Tu código de verificación de Solaris Telecom"
    assert rendered.text.startswith(f"Tu código de verificación de Solaris Telecom es {CODE}.")
    assert 'lang="es"' in rendered.html


def test_a_queued_spanish_message_is_stored_in_spanish(solaris):
    message = queue_otp(solaris, language="es")

    assert message.language == "es"
    assert message.subject == "Tu código de verificación de Solaris Telecom"
    assert message.text_redacted.startswith(
        "Tu código de verificación de Solaris Telecom es ••••••."
    )


def test_a_language_without_templates_falls_back_to_english(solaris):
    rendered = message_render(
        client_slug=solaris.slug, template="otp", language="fr", context=CONTEXT
    )

    assert rendered.subject == "Your Solaris Telecom verification code"


def test_the_client_override_wins_over_the_desk_template(solaris, northwind, client_templates):
    client_templates("clients/solaris/otp/es/body.txt", "Solaris: tu clave es {{ code }}.")

    solaris_es = message_render(
        client_slug="solaris", template="otp", language="es", context=CONTEXT
    )
    northwind_es = message_render(
        client_slug="northwind", template="otp", language="es", context=CONTEXT
    )

    assert solaris_es.text == f"Solaris: tu clave es {CODE}.\n"
    # Parts the client did not override come from the desk's template.
    assert solaris_es.subject == "Tu código de verificación de Solaris Telecom"
    assert northwind_es.text.startswith("Tu código de verificación")


def test_a_client_english_override_beats_nothing_in_the_language_asked(solaris, client_templates):
    client_templates("clients/solaris/otp/en/subject.txt", "Solaris code")

    rendered = message_render(client_slug="solaris", template="otp", language="fr", context=CONTEXT)

    assert rendered.subject == "Solaris code"


def test_text_parts_are_not_html_escaped_but_the_html_part_is(solaris):
    context = {**CONTEXT, "client_name": "Smith & Sons <Ltd>"}

    rendered = message_render(client_slug="x", template="otp", language="en", context=context)

    assert "Smith & Sons <Ltd>" in rendered.subject
    assert "Smith & Sons <Ltd>" in rendered.text
    assert "Smith &amp; Sons &lt;Ltd&gt;" in rendered.html


def test_the_otp_template_never_carries_a_link(solaris):
    for language in ("en", "es"):
        rendered = message_render(
            client_slug="solaris", template="otp", language=language, context=CONTEXT
        )
        for part in rendered.as_dict().values():
            assert "http" not in part
            assert "<a " not in part


def test_a_regional_language_uses_its_base_language(solaris):
    rendered = message_render(
        client_slug=solaris.slug, template="otp", language="es-MX", context=CONTEXT
    )

    assert rendered.subject == "Tu código de verificación de Solaris Telecom"
