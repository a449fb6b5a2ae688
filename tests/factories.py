"""factory_boy factories for variants; the fixed personas live in conftest.py."""

import datetime as dt

import factory
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from profiledesk.accounts.models import User
from profiledesk.clients.models import Client, Membership
from profiledesk.customers import models as m
from profiledesk.customers.normalise import search_name
from profiledesk.intake.capture import drafts_for
from profiledesk.intake.forms import form_for
from profiledesk.tickets.services import ticket_create
from profiledesk.vault.adapters import get_vault
from verification.answers import hash_answer

TEST_PASSWORD = "correct-horse-battery-staple"


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Client {n}")
    slug = factory.Sequence(lambda n: f"client-{n}")
    customer_prefix = factory.Sequence(lambda n: f"C{n:03d}"[:6])
    country = "GB"
    time_zone = "Europe/London"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@bpo.example")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def finish(self, create, extracted, **kwargs):
        if create:
            self.save()


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "Authenticator"
    confirmed = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    client = factory.SubFactory(ClientFactory)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Customer

    client = factory.SubFactory(ClientFactory)
    number = factory.Sequence(lambda n: f"T-{n:07d}")
    created_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=400))
    search_name = ""


class PersonalDetailsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PersonalDetails
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    legal_name = factory.Faker("name", locale="en_GB")
    date_of_birth = dt.date(1984, 3, 7)
    gender = m.PersonalDetails.Gender.UNDISCLOSED
    national_id = "QQ123456C"
    national_id_country = "GB"

    @factory.post_generation
    def index_name(self, create, extracted, **kwargs):
        self.customer.search_name = search_name(self.legal_name, self.preferred_name)
        if create:
            self.customer.save(update_fields=["search_name"])


class EmailAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.EmailAddress

    customer = factory.SubFactory(CustomerFactory)
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    is_primary = True
    verified_at = factory.LazyFunction(timezone.now)


class PhoneNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PhoneNumber

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"+44770090{n % 10000:04d}")
    is_primary = True
    verified_at = factory.LazyFunction(timezone.now)


class PostalAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PostalAddress

    customer = factory.SubFactory(CustomerFactory)
    line1 = "10 Downing Street"
    city = "London"
    postal_code = "SW1A 2AA"
    country = "GB"
    is_primary = True


class BankAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.BankAccount

    customer = factory.SubFactory(CustomerFactory)
    account_holder = "A. Customer"
    bank_name = "Test Bank"

    @classmethod
    def _create(cls, model_class, *args, iban="GB82WEST12345698765432", **kwargs):
        token = get_vault().tokenize_iban(iban)
        kwargs.update(
            vault_token=token.token,
            fingerprint=token.fingerprint,
            iban_masked=token.iban_masked,
            country=token.country,
        )
        return super()._create(model_class, *args, **kwargs)


def complete_customer(client: Client, *, emails: int = 1, phones: int = 1, **personal):
    """A customer with every one-row section and `emails`/`phones` contact points."""
    customer = CustomerFactory(client=client)
    PersonalDetailsFactory(customer=customer, **personal)
    for i in range(emails):
        EmailAddressFactory(customer=customer, is_primary=i == 0)
    for i in range(phones):
        PhoneNumberFactory(customer=customer, is_primary=i == 0)
    PostalAddressFactory(customer=customer)
    m.SecuritySettings.objects.create(customer=customer, two_factor_method="app")
    m.SecurityQuestion.objects.create(
        customer=customer,
        question="First school?",
        answer_hash=hash_answer("St Mary's"),
        set_at=timezone.now(),
    )
    m.Preferences.objects.create(customer=customer)
    m.LanguageRegion.objects.create(
        customer=customer, language="en", locale="en-GB", time_zone="Europe/London", country="GB"
    )
    BankAccountFactory(customer=customer)
    return customer


# What TicketFactory asks for in each category it makes, as the desk form would post it.
TICKET_DATA = {
    "contact": {"email": "new.address@example.com"},
    "security": {"password_reset": "on"},
}


def TicketFactory(*, customer, created_by=None, category="contact", channel="phone", data=None):
    """A ticket opened the way the desk opens one: the category's form cleans `data` (by
    default `TICKET_DATA[category]`), intake turns it into change items, and
    tickets.services.ticket_create opens the ticket, so every item is one apply knows."""
    form = form_for(
        category, customer=customer, data=TICKET_DATA[category] if data is None else data
    )
    if not form.is_valid():
        raise ValueError(f"TicketFactory: the {category} form refuses {form.errors.as_json()}")
    with transaction.atomic():  # as the desk: a refused ticket leaves nothing vaulted
        items = drafts_for(category=category, cleaned_data=form.cleaned_data, customer=customer)
        return ticket_create(
            client=customer.client,
            customer=customer,
            by=created_by,
            channel=channel,
            category=category,
            items=items,
        )


def claimed(ticket, user):
    """`ticket` claimed by `user`, as the floor does before working it (the Claim button;
    a supervisor's take-over or reassign the same): working a ticket needs it to be yours
    (profiledesk/tickets/claims.py). Saved without a timeline event: a test's set-up."""
    ticket.assignee = user
    ticket._change_reason = "claimed"
    ticket.save(update_fields=["assignee"])
    return ticket


def card_on_file(customer, number: str = "4111111111111111", **fields):
    """A card as the desk keeps one: vaulted, with only token, brand, BIN and last four."""
    token = get_vault().tokenize_card(number)
    values = {"exp_month": 12, "exp_year": 2030, "holder_name": "A CUSTOMER", **fields}
    return m.PaymentCard.objects.create(
        customer=customer,
        vault_token=token.token,
        fingerprint=token.fingerprint,
        brand=token.brand,
        bin=token.bin,
        last4=token.last4,
        **values,
    )


# --- identity documents (verification/documents.py) ----------------------------------------


def document_png(*, seed: int = 0, size: tuple[int, int] = (800, 500), fmt: str = "PNG") -> bytes:
    """A picture the document check accepts: big enough, and of noise so that it is over
    10 KB (a plain colour compresses to nothing). `seed` gives other bytes (another
    SHA-256)."""
    import io
    import random

    from PIL import Image

    pixels = random.Random(seed).randbytes(size[0] * size[1])
    buffer = io.BytesIO()
    Image.frombytes("L", size, pixels).save(buffer, fmt)
    return buffer.getvalue()


def document_pdf(*, seed: int = 0, size: tuple[int, int] = (600, 400), dpi: int = 72) -> bytes:
    """A scan as a PDF (Pillow writes it): one page of `size` px at `dpi`, so the page is
    size * 72 / dpi points."""
    import io
    import random

    from PIL import Image

    pixels = random.Random(seed).randbytes(size[0] * size[1])
    buffer = io.BytesIO()
    Image.frombytes("L", size, pixels).save(buffer, "PDF", resolution=dpi)
    return buffer.getvalue()


def document_upload(content: bytes | None = None, name: str = "id.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, document_png() if content is None else content)
