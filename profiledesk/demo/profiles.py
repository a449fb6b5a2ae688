"""One demo customer: every section of the profile of record, plus the changes staff
made to it since the client's customers were imported.

A customer depends only on (client, index): its own `random.Random` is seeded from
them, so NWE-0000042 is the same person whether the run seeds 200 or 100,000.
Nothing here touches the database; seeding.py writes what this builds.
"""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import models

from profiledesk.accounts.models import User
from profiledesk.clients.models import Client
from profiledesk.customers import models as m
from profiledesk.customers.normalise import fold, search_name
from profiledesk.vault.adapters import Vault

from . import contact, identifiers
from .countries import CLIENT_COUNTRY_MIX, COUNTRIES, Country
from .history import IMPORT_REASON, Change, stamp
from .pools import DEPARTMENTS, JOB_TITLES, NamePool

DAY = dt.timedelta(days=1)
# The sections in the order they are inserted: a card's billing address goes first.
SECTION_MODELS: list[type[models.Model]] = [
    m.PersonalDetails,
    m.EmailAddress,
    m.PhoneNumber,
    m.PostalAddress,
    m.SecuritySettings,
    m.SecurityQuestion,
    m.Preferences,
    m.LanguageRegion,
    m.LinkedAccount,
    m.Organisation,
    m.Avatar,
    m.PaymentCard,
    m.BankAccount,
]
# Past changes came before the desk's tickets (or outside them): their reason says where
# from, and never looks like a ticket reference (audit.history groups "<reference> ..."
# reasons under that ticket, with its evidence).
_CRM = "imported from the client's CRM"
_SOURCES = {
    "e-mail change": "customer self-service in the client's app",
    "phone number change": "customer self-service in the client's app",
    "address change": _CRM,
    "preferences change": "customer self-service in the client's app",
    "two-factor change": _CRM,
    "fraud flag": "security team action outside a ticket",
    "profile freeze": "security team action outside a ticket",
}


@dataclass(frozen=True)
class ClientStaff:
    """Who wrote a client's history: the import, routine changes, risk actions."""

    importer: User
    editors: tuple[User, ...]  # agents and supervisors, most changes by the agent
    security: User


@dataclass(frozen=True)
class SeedContext:
    client: Client
    client_no: int  # the client's position in DEMO_CLIENTS
    staff: ClientStaff
    pools: dict[str, NamePool]
    answer_hashes: tuple[tuple[str, str], ...]  # (question, hash of the demo answer)
    avatars: tuple[str, ...]  # storage names of the demo avatar images
    vault: Vault
    now: dt.datetime
    onboarded_at: dt.datetime  # when the desk took the client on and imported its customers
    seed: int


@dataclass
class Profile:
    customer: m.Customer
    sections: dict[type[models.Model], list[models.Model]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    # A bank account and its IBAN until the vault has tokenized it (in bulk, at write).
    ibans: list[tuple[m.BankAccount, str]] = field(default_factory=list)
    cards_billed_to: m.PostalAddress | None = None

    def add(self, obj: models.Model) -> models.Model:
        self.sections.setdefault(type(obj), []).append(obj)
        return obj


def customer_number(client: Client, index: int) -> str:
    return f"{client.customer_prefix}-{index:07d}"


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    return start + (end - start) * rng.random()


class _Builder:
    """Draws one customer. Probabilities are rough shares of a utility's customer base."""

    def __init__(self, ctx: SeedContext, index: int) -> None:
        self.ctx = ctx
        self.index = index
        self.rng = random.Random(f"{ctx.seed}:{ctx.client.slug}:{index}")
        mix = CLIENT_COUNTRY_MIX[ctx.client.country]
        code = self.rng.choices(list(mix), weights=list(mix.values()))[0]
        self.country: Country = COUNTRIES[code]
        self.pool = ctx.pools[code]
        self.city = self.rng.choice(self.country.cities)

    def build(self) -> Profile:
        rng, ctx = self.rng, self.ctx
        created_at = ctx.now - dt.timedelta(days=rng.uniform(20, 9 * 365))
        self.imported_at = max(created_at, ctx.onboarded_at) + dt.timedelta(
            minutes=rng.uniform(0, 600)
        )
        customer = m.Customer(
            client=ctx.client, number=customer_number(ctx.client, self.index), created_at=created_at
        )
        self.profile = Profile(customer=customer)
        self._personal()
        self._contact()
        self._security()
        self._preferences()
        self._language_region()
        if rng.random() < 0.35:
            self._linked_accounts()
        if rng.random() < 0.10:
            self._organisation()
        if rng.random() < 0.08 and ctx.avatars:
            self._avatar()
        self._billing()
        self._risk()
        for obj in [customer, *(o for objs in self.profile.sections.values() for o in objs)]:
            stamp(obj, at=self.imported_at, by=ctx.staff.importer, reason=IMPORT_REASON)
        return self.profile

    # --- helpers ----------------------------------------------------------------------

    def _when(self) -> dt.datetime | None:
        """A moment between the import and now; None if the customer is brand new."""
        start, end = self.imported_at + DAY, self.ctx.now - dt.timedelta(hours=1)
        return _between(self.rng, start, end) if start < end else None

    def _change(
        self, obj: models.Model, kind: str, at: dt.datetime, by: User | None = None, **new
    ) -> None:
        """Record a change made at `at`, mostly by the agent, saying where it came from."""
        editors = self.ctx.staff.editors
        by = by or self.rng.choices(editors, weights=[4, *[1] * (len(editors) - 1)])[0]
        reason = f"{kind.capitalize()}: {_SOURCES[kind]}"
        self.profile.changes.append(Change(obj, new, at=at, by=by, reason=reason))

    def _since_created(self) -> dt.datetime:
        return _between(self.rng, self.profile.customer.created_at, self.ctx.now)

    # --- sections ---------------------------------------------------------------------

    def _personal(self) -> None:
        rng, pool = self.rng, self.pool
        gender = rng.choices(
            [
                m.PersonalDetails.Gender.FEMALE,
                m.PersonalDetails.Gender.MALE,
                m.PersonalDetails.Gender.NON_BINARY,
                m.PersonalDetails.Gender.UNDISCLOSED,
            ],
            weights=[48, 47, 1, 4],
        )[0]
        female = gender == m.PersonalDetails.Gender.FEMALE or (
            gender != m.PersonalDetails.Gender.MALE and rng.random() < 0.5
        )
        self.first = rng.choice(pool.female if female else pool.male)
        self.last = rng.choice(pool.last)
        if self.country.code == "ES":  # two surnames, the father's and the mother's
            self.last = f"{self.last} {rng.choice(pool.last)}"
        legal_name = f"{self.first} {self.last}"
        preferred = ""
        if (" " in self.first or "-" in self.first) and rng.random() < 0.6:
            preferred = self.first.replace("-", " ").split()[0]
        dob = (self.ctx.now - dt.timedelta(days=rng.uniform(18 * 365, 85 * 365))).date()
        national_id = ""
        if rng.random() < 0.92:
            national_id = identifiers.national_id(
                rng, self.country.code, dob=dob, female=female, first=self.first, last=self.last
            )
        self.legal_name = legal_name
        self.profile.customer.search_name = search_name(legal_name, preferred)
        self.profile.add(
            m.PersonalDetails(
                legal_name=legal_name,
                preferred_name=preferred,
                date_of_birth=dob,
                gender=gender,
                national_id=national_id,
                national_id_country=self.country.code if national_id else "",
            )
        )

    def _contact(self) -> None:
        rng, country, profile = self.rng, self.country, self.profile
        created_at = profile.customer.created_at
        email = contact.email_address(rng, country, self.first, self.last, self.index)
        primary_email = profile.add(
            m.EmailAddress(
                email=email,
                is_primary=True,
                verified_at=created_at + dt.timedelta(hours=rng.uniform(0, 48))
                if rng.random() < 0.9
                else None,
            )
        )
        new_email = contact.email_address(rng, country, self.first, self.last, self.index)
        if rng.random() < 0.12 and new_email != email and (at := self._when()):
            # The imported address is the old one; the customer confirmed the new one.
            self._change(
                primary_email,
                "e-mail change",
                at,
                email=new_email,
                verified_at=at + dt.timedelta(minutes=rng.uniform(2, 90)),
            )
        elif rng.random() < 0.15 and new_email != email:
            profile.add(
                m.EmailAddress(email=new_email, is_primary=False, verified_at=self._since_created())
            )

        phone = profile.add(
            m.PhoneNumber(
                number=contact.phone_number(rng, country, self.city, mobile=True),
                kind=m.PhoneNumber.Kind.MOBILE,
                is_primary=True,
                verified_at=created_at + dt.timedelta(hours=rng.uniform(0, 48))
                if rng.random() < 0.85
                else None,
            )
        )
        if rng.random() < 0.06 and (at := self._when()):
            self._change(
                phone,
                "phone number change",
                at,
                number=contact.phone_number(rng, country, self.city, mobile=True),
                verified_at=at + dt.timedelta(minutes=rng.uniform(2, 30)),
            )
        if rng.random() < 0.25:
            profile.add(
                m.PhoneNumber(
                    number=contact.phone_number(rng, country, self.city, mobile=False),
                    kind=m.PhoneNumber.Kind.LANDLINE,
                    is_primary=False,
                )
            )

        home = profile.add(
            m.PostalAddress(
                kind=m.PostalAddress.Kind.HOME, is_primary=True, verified_at=None, **self._address()
            )
        )
        profile.cards_billed_to = home
        if rng.random() < 0.08 and (at := self._when()):
            self.city = rng.choice(country.cities)  # moved, maybe to another city
            self._change(home, "address change", at, **self._address())
        if rng.random() < 0.10:
            kind = rng.choice([m.PostalAddress.Kind.BILLING, m.PostalAddress.Kind.SHIPPING])
            other = profile.add(m.PostalAddress(kind=kind, is_primary=False, **self._address()))
            if kind == m.PostalAddress.Kind.BILLING:
                profile.cards_billed_to = other

    def _address(self) -> dict[str, str]:
        rng, country = self.rng, self.country
        return {
            "line1": contact.street_line(rng, country, rng.choice(self.pool.streets)),
            "line2": contact.second_line(rng, country) if rng.random() < 0.3 else "",
            "city": self.city.name,
            "region": self.city.region,
            "postal_code": contact.postcode(rng, country, self.city),
            "country": country.code,
        }

    def _security(self) -> None:
        rng, profile = self.rng, self.profile
        Method = m.SecuritySettings.Method
        method = rng.choices(
            [Method.NONE, Method.APP, Method.SMS, Method.EMAIL], weights=[35, 30, 25, 10]
        )[0]
        security = profile.add(
            m.SecuritySettings(
                two_factor_method=method,
                last_password_reset_at=self._since_created() if rng.random() < 0.6 else None,
            )
        )
        if method == Method.NONE and rng.random() < 0.12 and (at := self._when()):
            self._change(
                security,
                "two-factor change",
                at,
                two_factor_method=rng.choice([Method.APP, Method.SMS]),
            )
        for question, answer_hash in rng.sample(self.ctx.answer_hashes, 2):
            profile.add(
                m.SecurityQuestion(
                    question=question, answer_hash=answer_hash, set_at=profile.customer.created_at
                )
            )

    def _preferences(self) -> None:
        rng = self.rng
        prefs = self.profile.add(
            m.Preferences(
                email_notifications=rng.random() < 0.9,
                sms_notifications=rng.random() < 0.7,
                marketing_email=rng.random() < 0.35,
                marketing_sms=rng.random() < 0.15,
                confirm_by_email=rng.random() < 0.9,
                confirm_by_sms=rng.random() < 0.4,
                confirm_in_app=rng.random() < 0.2,
                auto_renew=rng.random() < 0.8,
            )
        )
        if rng.random() < 0.15 and (at := self._when()):  # mostly "stop sending me offers"
            self._change(
                prefs,
                "preferences change",
                at,
                marketing_email=False,
                marketing_sms=False,
                confirm_by_sms=not prefs.confirm_by_sms,
            )

    def _language_region(self) -> None:
        country = self.country
        self.profile.add(
            m.LanguageRegion(
                language=country.language,
                locale=country.locale,
                time_zone=self.city.time_zone or country.time_zone,
                country=country.code,
            )
        )

    def _linked_accounts(self) -> None:
        rng = self.rng
        Provider = m.LinkedAccount.Provider
        for provider in rng.sample(list(Provider), 2 if rng.random() < 0.2 else 1):
            if provider == Provider.APPLE:
                external_id = (
                    f"000{rng.randint(100, 999)}.{rng.getrandbits(128):032x}."
                    f"{rng.randint(1000, 9999)}"
                )
            elif provider == Provider.MICROSOFT:
                external_id = f"{rng.getrandbits(64):016x}"
            else:
                external_id = str(rng.randint(10**20, 10**21 - 1))
            self.profile.add(
                m.LinkedAccount(
                    provider=provider, external_id=external_id, linked_at=self._since_created()
                )
            )

    def _organisation(self) -> None:
        rng = self.rng
        business = rng.choice(self.pool.companies)
        self.profile.add(
            m.Organisation(
                business_name=business,
                billing_entity=business if rng.random() < 0.7 else f"{business} (Accounts)",
                job_title=rng.choice(JOB_TITLES),
                department=rng.choice(DEPARTMENTS),
                **identifiers.business_ids(rng, self.country.code, self.city.name),
            )
        )
        self.profile.add(
            m.EmailAddress(
                email=contact.work_email(self.first, self.last, business, self.index),
                is_primary=False,
                verified_at=self._since_created(),
            )
        )

    def _avatar(self) -> None:
        rng = self.rng
        Moderation = m.Avatar.Moderation
        self.profile.add(
            m.Avatar(
                image=rng.choice(self.ctx.avatars),
                moderation_status=rng.choices(
                    [Moderation.APPROVED, Moderation.PENDING, Moderation.REJECTED],
                    weights=[85, 10, 5],
                )[0],
                uploaded_at=self._since_created(),
            )
        )

    def _billing(self) -> None:
        rng, ctx, profile = self.rng, self.ctx, self.profile
        holder = self.legal_name
        cards = rng.choices([0, 1, 2], weights=[45, 45, 10])[0]
        for n in range(cards):
            brand = rng.choices(list(identifiers.CARD_BINS), weights=[55, 35, 10])[0]
            # The number lives only in this call: the vault keeps nothing it could give
            # back, and the profile gets the token, brand, BIN and last four.
            token = ctx.vault.tokenize_card(identifiers.card_number(rng, brand))
            profile.add(
                m.PaymentCard(
                    vault_token=token.token,
                    fingerprint=token.fingerprint,
                    brand=token.brand,
                    bin=token.bin,
                    last4=token.last4,
                    exp_month=rng.randint(1, 12),
                    exp_year=ctx.now.year + rng.randint(0, 5),
                    holder_name=fold(holder).upper(),  # embossed: no accents
                    is_default=n == 0,
                )
            )
        if rng.random() < 0.3 and (account := identifiers.iban(rng, self.country)):
            number, bank = account
            bank_account = profile.add(
                m.BankAccount(bank_name=bank.name, account_holder=holder, is_default=True)
            )
            profile.ibans.append((bank_account, number))

    def _risk(self) -> None:
        rng, customer, security = self.rng, self.profile.customer, self.ctx.staff.security
        roll = rng.random()
        if roll < 0.01 and (at := self._when()):
            self._change(
                customer,
                "fraud flag",
                at,
                by=security,
                is_flagged=True,
                flag_reason="Caller failed verification twice; possible takeover",
            )
        elif roll < 0.013 and (at := self._when()):
            self._change(
                customer,
                "profile freeze",
                at,
                by=security,
                frozen_at=at,
                frozen_reason="Customer reported changes they did not make",
            )


def profile_build(ctx: SeedContext, index: int) -> Profile:
    return _Builder(ctx, index).build()
