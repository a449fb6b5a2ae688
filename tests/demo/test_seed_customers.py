"""seed_demo's customers: complete, realistic profiles with a past, and no secrets kept."""

import datetime as dt
import re

import phonenumbers
import pytest
from django.apps import apps
from django.db import connection, models
from django.utils import timezone
from stdnum import get_cc_module

from audit.history import REFERENCE_RE
from profiledesk.accounts.roles import Role
from profiledesk.customers import models as m
from profiledesk.customers.models import PROFILE_MODELS
from profiledesk.customers.normalise import search_name
from profiledesk.demo import identifiers
from profiledesk.tickets.models import Ticket
from profiledesk.vault.models import VaultedIban

pytestmark = pytest.mark.django_db

# The check-digit module of each country's national ID (GB's NINO has no check digit).
NATIONAL_ID = {
    "IE": "pps",
    "ES": "dni",
    "DE": "idnr",
    "FR": "nir",
    "NL": "bsn",
    "IT": "codicefiscale",
    "US": "ssn",
}


@pytest.fixture
def seeded(seed, monkeypatch):
    """300 customers; returns every card number the seed generated (to prove none stuck)."""
    card_numbers = []
    card_number = identifiers.card_number

    def recording(rng, brand):
        card_numbers.append(card_number(rng, brand))
        return card_numbers[-1]

    monkeypatch.setattr(identifiers, "card_number", recording)
    seed(customers=300)
    return card_numbers


def _every_stored_string(*, exclude: tuple[type[models.Model], ...] = ()) -> str:
    """Every text value of every table (history included), one per line."""
    values, tables = [], set(connection.introspection.table_names())
    for model in apps.get_models():
        if model in exclude or model._meta.db_table not in tables:
            continue
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
        ]
        if fields:
            for row in model.objects.values_list(*fields):
                values.extend(str(v) for v in row)
    return "\n".join(values)


def test_customers_are_split_over_the_clients_and_numbered(seeded):
    assert m.Customer.objects.count() == 300
    for slug, prefix in [("northwind", "NWE"), ("solaris", "SOL")]:
        numbers = set(m.Customer.objects.filter(client__slug=slug).values_list("number", flat=True))
        assert numbers == {f"{prefix}-{i:07d}" for i in range(1, 151)}


def test_every_customer_has_a_complete_profile(seeded):
    customers = m.Customer.objects.select_related(
        "personal", "security", "preferences", "language_region"
    ).prefetch_related("emails", "phones", "addresses", "security_questions")
    for customer in customers:
        personal = customer.personal
        assert personal.legal_name and personal.date_of_birth and personal.gender
        assert customer.search_name == search_name(personal.legal_name, personal.preferred_name)
        assert [e.is_primary for e in customer.emails.all()].count(True) == 1
        assert [p.is_primary for p in customer.phones.all()].count(True) == 1
        assert [a.is_primary for a in customer.addresses.all()].count(True) == 1
        assert customer.security.two_factor_method
        assert len(customer.security_questions.all()) == 2
        assert customer.preferences.pk
        region = customer.language_region
        assert region.language and region.locale and region.time_zone and region.country
        assert customer.created_at < timezone.now()


def test_customers_live_in_several_countries(seeded):
    countries = set(m.LanguageRegion.objects.values_list("country", flat=True))
    assert {"GB", "ES", "FR", "DE", "IE"} <= countries
    assert len(countries) >= 6


def test_some_customers_have_the_optional_sections(seeded):
    for model in [m.LinkedAccount, m.PaymentCard, m.BankAccount, m.Organisation, m.Avatar]:
        with_it = model.objects.values("customer").distinct().count()
        assert 0 < with_it < 300, model.__name__


def test_national_ids_have_valid_check_digits(seeded):
    checked = 0
    for number, country in m.PersonalDetails.objects.exclude(national_id="").values_list(
        "national_id", "national_id_country"
    ):
        if country == "GB":
            assert re.fullmatch(r"[A-CEGHJ-PR-TW-Z]{2}\d{6}[A-D]", number), number
        else:
            assert get_cc_module(country.lower(), NATIONAL_ID[country]).is_valid(number), number
            checked += 1
    assert checked > 30


def test_every_phone_is_valid_e164_for_its_country(seeded):
    numbers = list(m.PhoneNumber.objects.values_list("number", flat=True))
    numbers += list(m.PhoneNumber.history.values_list("number", flat=True))
    assert len(numbers) > 300
    for number in numbers:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number


def test_emails_are_lower_case_and_unique_per_client(seeded):
    emails = list(m.EmailAddress.objects.values_list("customer__client", "email"))
    assert all(email == email.lower() and "@" in email for _, email in emails)
    assert len(set(emails)) == len(emails)


def test_company_vat_numbers_are_valid(seeded):
    vat_numbers = [v for v in m.Organisation.objects.values_list("vat_number", flat=True) if v]
    assert vat_numbers
    for number in vat_numbers:
        assert get_cc_module(number[:2].lower(), "vat").is_valid(number), number


def test_bank_accounts_keep_only_a_token_and_the_masked_iban(seeded):
    accounts = list(m.BankAccount.objects.all())
    assert accounts
    vaulted = dict(VaultedIban.objects.values_list("token", "iban"))
    for account in accounts:
        iban = vaulted[account.vault_token]
        assert re.fullmatch(r"[A-Z]{2}•• •••• •••• \d{4}", account.iban_masked)
        assert account.iban_masked.endswith(iban[-4:])
        assert account.country == iban[:2]
    stored = _every_stored_string(exclude=(VaultedIban,))
    assert not [iban for iban in vaulted.values() if iban in stored or iban[4:] in stored]


def test_no_card_number_is_stored_anywhere(seeded):
    assert len(seeded) > 50
    # A card replaced by a story ticket (stories.py) lives on in its history.
    cards = set(m.PaymentCard.objects.values_list("bin", "last4"))
    cards |= set(m.PaymentCard.history.values_list("bin", "last4"))
    assert cards == {(number[:6], number[-4:]) for number in seeded}
    stored = _every_stored_string()
    # Not the number, nor more of it than the BIN and the last four.
    leaked = [n for n in seeded if n[:-4] in stored or n[6:] in stored]
    assert not leaked


def test_history_has_a_user_and_a_reason_on_every_row(seeded):
    for model in PROFILE_MODELS:
        rows = model.history.all()
        assert rows.exists(), model.__name__
        assert not rows.filter(history_user=None).exists(), model.__name__
        assert not rows.filter(history_change_reason__in=["", None]).exists(), model.__name__


def test_imports_are_by_the_desk_admin_of_each_client(seeded):
    imports = m.Customer.history.filter(history_type="+")
    assert imports.count() == 300
    for row in imports.select_related("history_user", "client"):
        assert row.history_change_reason == "seed: initial import"
        assert row.history_user.groups.get().name == Role.DESK_ADMIN
        assert row.history_user.memberships.get().client == row.client


def test_past_changes_are_spread_over_the_year_by_different_staff(seeded):
    now = timezone.now()
    changes = [
        row
        for model in PROFILE_MODELS
        for row in model.history.filter(history_type="~").select_related("history_user")
    ]
    # The stories' changes (stories.py) cite the real tickets that made them.
    cited = {REFERENCE_RE.match(r.history_change_reason) for r in changes} - {None}
    references = {match["reference"] for match in cited}
    assert Ticket.objects.filter(reference__in=references).count() == len(references)
    changes = [r for r in changes if not REFERENCE_RE.match(r.history_change_reason)]
    assert len(changes) > 50
    # The others say where they came from: no made-up ticket reference, which the
    # history page would show as a ticket without evidence.
    sourced = re.compile(r"[A-Z][a-z -]+: [A-Za-z' -]+")
    assert not [
        r.history_change_reason for r in changes if not sourced.fullmatch(r.history_change_reason)
    ]
    assert len({row.history_user for row in changes}) >= 4
    dates = sorted(row.history_date for row in changes)
    assert now - dt.timedelta(days=400) < dates[0] and dates[-1] < now
    assert dates[-1] - dates[0] > dt.timedelta(days=180)
    kinds = {row.history_change_reason.split(":")[0] for row in changes}
    assert {"E-mail change", "Address change", "Preferences change"} <= kinds


def test_a_changed_email_shows_the_old_address_then_the_new(seeded):
    change = m.EmailAddress.history.filter(history_type="~").first()
    earlier = change.prev_record

    assert earlier.history_type == "+"
    assert earlier.email != change.email
    assert earlier.history_date < change.history_date
    assert m.EmailAddress.objects.get(pk=change.id).email == change.email
    assert change.history_user.groups.get().name in {Role.AGENT, Role.SUPERVISOR}
