"""A change item's words: stored in the desk's English whatever page captured it, read
by a customer in their language at render time (intake.capture._stored_words,
intake.wording)."""

import datetime as dt

import pytest
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from profiledesk.intake.capture import drafts_for
from profiledesk.intake.wording import item_words
from profiledesk.policies.categories import Category
from tests.confirmations.conftest import set_fields

pytestmark = pytest.mark.django_db


def spanish(drafts) -> list[tuple[str, str, str]]:
    with translation.override("es"):
        return [tuple(str(w) for w in item_words(d).values()) for d in drafts]


def test_a_change_captured_on_a_spanish_page_is_stored_in_english(customer):
    """The portal's page may be Spanish: the items staff and history read are English."""
    set_fields(customer.security, last_password_reset_at=timezone.now() - dt.timedelta(days=3))
    with translation.override("es"):
        preferences = drafts_for(
            category=Category.PREFERENCES,
            cleaned_data={"marketing_email": True},
            customer=customer,
        )
        security = drafts_for(
            category=Category.SECURITY,
            cleaned_data={"password_reset": True, "two_factor_reset": True},
            customer=customer,
        )

    assert [(d.label, d.old_display, d.new_display) for d in preferences] == [
        ("Promotional e-mails", "No", "Yes")
    ]
    reset, two_factor = security
    assert reset.label == "Password reset" and reset.old_display.startswith("Last reset ")
    assert reset.new_display == "Send the customer a password reset link"
    assert two_factor.old_display == "Authenticator app"


def test_labels_and_desk_written_values_read_in_spanish(customer):
    set_fields(customer.security, last_password_reset_at=timezone.now() - dt.timedelta(days=3))
    drafts = drafts_for(
        category=Category.SECURITY,
        cleaned_data={"password_reset": True, "two_factor_reset": True},
        customer=customer,
    ) + drafts_for(
        category=Category.PREFERENCES, cleaned_data={"marketing_email": True}, customer=customer
    )

    [reset, two_factor, promo] = spanish(drafts)

    assert reset[0] == "Restablecimiento de contraseña"
    assert reset[1].startswith("Último restablecimiento: 20")  # the date kept as it was
    assert reset[2] == "Enviar al cliente un enlace para restablecer la contraseña"
    assert two_factor == (
        "Restablecimiento de la verificación en dos pasos",
        "App de autenticación",
        "Quitar la verificación en dos pasos; el cliente vuelve a activarla",
    )
    assert promo == ("Correos electrónicos promocionales", "No", "Sí")


def test_a_secret_reads_set_in_spanish(customer):
    question = customer.security_questions.get()
    drafts = drafts_for(
        category=Category.SECURITY,
        cleaned_data={"question_target": question.pk, "answer": "Saint-Étienne"},
        customer=customer,
    )
    assert spanish(drafts) == [
        ("Respuesta de seguridad", "•••••• (establecida)", "•••••• (establecida)")
    ]


@given(typed=st.sampled_from(["Yes", "No", "Card", "New image", "Current image", "Home"]))
def test_what_someone_typed_is_never_translated(typed):
    """A job title "Yes" is a value, not the desk's word: shown as it was typed."""

    class Item:
        section, field, label = "organisation", "organisation.job_title", "Job title"
        old_display, new_display = typed, typed

    with translation.override("es"):
        words = {k: str(v) for k, v in item_words(Item()).items()}
    assert words == {"label": "Cargo", "old": typed, "new": typed}


def test_an_unknown_field_keeps_its_stored_words():
    class Item:
        section, field, label = "personal", "gone.field", "Something old"
        old_display, new_display = "Yes", "No"

    with translation.override("es"):
        words = {k: str(v) for k, v in item_words(Item()).items()}
    assert words == {"label": "Something old", "old": "Yes", "new": "No"}


def test_a_choice_reads_in_spanish():
    class Item:
        section, field, label = "contact", "phonenumber.kind", "Kind"
        old_display, new_display = "Mobile", "Landline"

    with translation.override("es"):
        words = {k: str(v) for k, v in item_words(Item()).items()}
    assert words == {"label": "Tipo", "old": "Móvil", "new": "Fijo"}
