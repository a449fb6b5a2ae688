"""From a validated change form (or API payload) to change items (docs/design.md §2, §3).

`CATEGORY_FIELDS` says which fields of the profile each of the nine categories can
change; `drafts_for` turns the category form's `cleaned_data` into `ItemDraft`s for
`tickets.services.ticket_create`:

- `old_display` is the customer's current value masked through `privacy.masking.display`
  with the field's policy; for a multi-row section, of the row being changed
  (`target_id`); a new row has `target_id` None and no old value.
- `new_value` is the normalised value as text (dates ISO 8601, booleans "true"/"false",
  rows by primary key). Card numbers never get here: the vault's token does (a JSON
  object with token, fingerprint, brand, BIN and last four). IBANs likewise (token,
  fingerprint, masked IBAN, country). Security answers are salted hashes.
- `field` is "<model_name>.<attribute>" ("emailaddress.email", "postaladdress.kind"), so
  that the section's models cannot be confused; `resolve_field` gives the model back.
  Commands (password reset, 2FA reset, sign out everywhere) and removals (unlinking an
  account) are fields of kind COMMAND and REMOVE, with no attribute.

`cleaned_data` is expected from `intake.forms.form_for(category, ...)`: its keys are the
form's field names, and a key that is missing, None or "" means "leave as it is".
`customer=None` is a request whose customer is not known yet (an API caller's): nothing
is known of the profile, so every value is a new one (no old value, no row replaced).
"""

import io
import json
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from profiledesk.customers import models as m
from profiledesk.policies.categories import Category
from profiledesk.privacy.masking import display
from profiledesk.privacy.sensitivity import SECRET
from profiledesk.tickets.services import ItemDraft
from profiledesk.vault.adapters import get_vault
from profiledesk.vault.cards import CardNumberError
from verification.answers import hash_answer

from .fields import CATEGORY_FIELDS, FIELD_SPECS, FieldSpec, Kind, resolve_field
from .validators import refuse_card_security_code, validate_card, validate_iban

logger = logging.getLogger(__name__)


def _spec(category: str, model: type[models.Model], name: str) -> FieldSpec:
    return FIELD_SPECS[(category, f"{model._meta.model_name}.{name}")]


# --- the customer's country ---------------------------------------------------------


def customer_country(customer: m.Customer) -> str:
    """The country to read the customer's numbers in: their language-and-region
    setting, else their primary address, else their client's home country."""
    try:
        country = customer.language_region.country
    except ObjectDoesNotExist:
        country = ""
    if not country:
        primary = customer.addresses.filter(is_primary=True).values_list("country", flat=True)
        country = primary.first() or ""
    return (country or customer.client.country or "").upper()


# --- values as text -----------------------------------------------------------------


def _text(value) -> str:
    """A value as ChangeItem.new_value holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, models.Model):
        return str(value.pk)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _shown(spec: FieldSpec, value) -> str:
    """`value` as the desk shows it: choices by label, booleans as yes/no, then masked."""
    if value is None or value == "":
        return ""
    field = spec.model._meta.get_field(spec.name) if spec.kind == Kind.VALUE else None
    if isinstance(value, bool):
        value = _("Yes") if value else _("No")
    elif field is not None and field.choices:
        value = dict(field.flatchoices).get(value, value)
    return display(value, spec.policy)


def _stored_words() -> translation.override:
    """Labels and displays are stored in the desk's language (English), whatever the
    language of the page that captured them (the portal's may be Spanish): staff read
    them as they are; a customer's message translates them when it is rendered
    (`intake.wording`). Errors raised meanwhile stay in the page's language."""
    return translation.override(settings.LANGUAGE_CODE)


def _blank(value) -> bool:
    return value is None or value == "" or value == [] or value == ()


class _Drafts:
    """Collects the items of one request."""

    def __init__(self, category: str):
        self.category = category
        self.items: list[ItemDraft] = []

    def value(
        self,
        model: type[models.Model],
        name: str,
        new,
        *,
        row=None,
        target_id: int | None = None,
        new_value: str | None = None,
        new_display: str | None = None,
        old_display: str | None = None,
        is_secret: bool = False,
        always: bool = False,
    ) -> None:
        """Add an item setting `name` of `row` (None: a new row) unless it is unchanged."""
        spec = _spec(self.category, model, name)
        old = getattr(row, name) if row is not None else None
        if isinstance(old, models.Model):
            old = old.pk
        if not always and row is not None and _text(old) == _text(new):
            return
        with _stored_words():
            draft = ItemDraft(
                section=self.category,
                field=spec.key,
                label=spec.label,
                old_display=_shown(spec, old) if old_display is None else str(old_display),
                new_value=_text(new) if new_value is None else new_value,
                new_display=_shown(spec, new) if new_display is None else str(new_display),
                target_id=target_id if target_id is not None else getattr(row, "pk", None),
                is_secret=is_secret,
            )
        self.items.append(draft)

    def card(self, *, row, token: str, fingerprint: str, brand: str, bin: str, last4: str) -> None:
        """Put the card with this vault token on `row` (None: a new card). The item
        holds the vault's token JSON (apply's `_TOKEN_KEYS`), never a number."""
        self.value(
            m.PaymentCard,
            "vault_token",
            None,
            row=row,
            new_value=json.dumps(
                {
                    "token": token,
                    "fingerprint": fingerprint,
                    "brand": brand,
                    "bin": bin,
                    "last4": last4,
                }
            ),
            new_display=_card_display(brand, bin, last4),
            old_display=_card_display(row.brand, row.bin, row.last4) if row else "",
            is_secret=True,
            always=True,
        )

    def bank_account(
        self, *, row, token: str, fingerprint: str, iban_masked: str, country: str
    ) -> None:
        """Put the account with this vault token on `row` (None: a new account)."""
        self.value(
            m.BankAccount,
            "vault_token",
            None,
            row=row,
            new_value=json.dumps(
                {
                    "token": token,
                    "fingerprint": fingerprint,
                    "iban_masked": iban_masked,
                    "country": country,
                }
            ),
            new_display=iban_masked,
            old_display=row.iban_masked if row else "",
            is_secret=True,
            always=True,
        )

    def action(
        self,
        model: type[models.Model],
        name: str,
        *,
        new_display: str,
        old_display: str = "",
        target_id: int | None = None,
        new_value: str = "requested",
    ) -> None:
        spec = _spec(self.category, model, name)
        with _stored_words():
            label = spec.label
        self.items.append(
            ItemDraft(
                section=self.category,
                field=spec.key,
                label=label,
                old_display=old_display,
                new_value=new_value,
                new_display=new_display,
                target_id=target_id,
            )
        )


def section_of(customer: m.Customer | None, related: str):
    """A one-to-one section of the customer, or None if it has never been filled in (or
    the customer is not known)."""
    if customer is None:
        return None
    try:
        return getattr(customer, related)
    except ObjectDoesNotExist:
        return None


def rows_of(customer: m.Customer | None, related: str, model: type[models.Model]):
    """The customer's rows of a multi-row section; none when the customer is not known."""
    return model.objects.none() if customer is None else getattr(customer, related).all()


def _row(queryset, target_id, what: str):
    """The customer's row `target_id` (None: a new row); never another customer's."""
    if _blank(target_id):
        return None
    try:
        return queryset.get(pk=int(target_id))
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise ValidationError(
            _("That %(what)s is not on this customer's profile."),
            code="target",
            params={"what": what},
        ) from None


# --- per category -------------------------------------------------------------------


def _set_fields(drafts: _Drafts, model, row, data: dict, names) -> None:
    for name in names:
        new = data.get(name)
        if _blank(new):
            continue
        drafts.value(model, name, new, row=row)


def _personal(drafts: _Drafts, data: dict, customer: m.Customer | None) -> None:
    row = section_of(customer, "personal")
    names = ["legal_name", "preferred_name", "date_of_birth", "gender", "national_id"]
    _set_fields(drafts, m.PersonalDetails, row, data, names)
    # The country only matters with the number it qualifies.
    if not _blank(data.get("national_id")) and not _blank(data.get("national_id_country")):
        drafts.value(m.PersonalDetails, "national_id_country", data["national_id_country"], row=row)


def _contact_point(
    drafts: _Drafts,
    model,
    queryset,
    data: dict,
    *,
    prefix: str,
    fields: dict[str, str],
    what: str,
) -> None:
    """A new or replaced e-mail, phone or address: `fields` maps form keys to attributes,
    the first one the value that says there is a change at all."""
    if _blank(data.get(next(iter(fields)))):
        return
    values = {attr: data.get(key) for key, attr in fields.items()}
    row = _row(queryset, data.get(f"{prefix}_target"), what)
    for attr, new in values.items():
        if _blank(new):
            continue
        drafts.value(model, attr, new, row=row)
    make_primary = bool(data.get(f"{prefix}_make_primary"))
    if row is None:
        # A new row: primary if asked, or if the customer has none yet.
        if make_primary or not queryset.filter(is_primary=True).exists():
            drafts.value(model, "is_primary", True)
    elif make_primary and not row.is_primary:
        drafts.value(model, "is_primary", True, row=row)


def _contact(drafts: _Drafts, data: dict, customer: m.Customer | None) -> None:
    _contact_point(
        drafts,
        m.EmailAddress,
        rows_of(customer, "emails", m.EmailAddress),
        data,
        prefix="email",
        fields={"email": "email"},
        what=_("e-mail address"),
    )
    _contact_point(
        drafts,
        m.PhoneNumber,
        rows_of(customer, "phones", m.PhoneNumber),
        data,
        prefix="phone",
        fields={"phone": "number", "phone_kind": "kind"},
        what=_("phone number"),
    )
    address_fields = {
        f"address_{attr}": attr
        for attr in ("line1", "line2", "city", "region", "postal_code", "country", "kind")
    }
    _contact_point(
        drafts,
        m.PostalAddress,
        rows_of(customer, "addresses", m.PostalAddress),
        data,
        prefix="address",
        fields=address_fields,
        what=_("address"),
    )


def _security(drafts: _Drafts, data: dict, customer: m.Customer | None) -> None:
    settings_row = section_of(customer, "security")
    if data.get("password_reset"):
        with _stored_words():
            last = getattr(settings_row, "last_password_reset_at", None)
            drafts.action(
                m.SecuritySettings,
                "password_reset",
                old_display=(
                    _("Last reset %(when)s")
                    % {"when": timezone.localtime(last).strftime("%Y-%m-%d %H:%M")}
                    if last
                    else ""
                ),
                new_display=_("Send the customer a password reset link"),
            )
    if data.get("two_factor_reset"):
        with _stored_words():
            method = settings_row.get_two_factor_method_display() if settings_row else ""
            drafts.action(
                m.SecuritySettings,
                "two_factor_reset",
                old_display=str(method),
                new_display=_("Remove two-factor sign-in; the customer enrols again"),
            )
    if data.get("sign_out_everywhere"):
        with _stored_words():
            drafts.action(
                m.SecuritySettings,
                "sign_out_everywhere",
                new_display=_("End every session of the customer"),
            )
    question, answer = data.get("question"), data.get("answer")
    if _blank(question) and _blank(answer):
        return
    row = _row(
        rows_of(customer, "security_questions", m.SecurityQuestion),
        data.get("question_target"),
        _("security question"),
    )
    if row is None and (_blank(question) or _blank(answer)):
        raise ValidationError(
            _("A new security question needs both the question and its answer."),
            code="question",
        )
    if not _blank(question):
        drafts.value(m.SecurityQuestion, "question", question, row=row)
    if not _blank(answer):
        try:
            answer_hash = hash_answer(answer)
        except ValueError:
            raise ValidationError(
                _("An answer needs at least one letter or digit."), code="answer"
            ) from None
        drafts.value(
            m.SecurityQuestion,
            "answer_hash",
            None,
            row=row,
            new_value=answer_hash,
            old_display=display("set", SECRET) if row is not None else "",
            new_display=display("set", SECRET),
            is_secret=True,
            always=True,
        )


def _preferences(drafts: _Drafts, data: dict, customer: m.Customer | None) -> None:
    row = section_of(customer, "preferences")
    for spec in CATEGORY_FIELDS[Category.PREFERENCES]:
        new = data.get(spec.name)
        if new is None or new == "":
            continue
        new = bool(new)
        if row is None and customer is not None:
            # A known customer without a preferences row has the defaults; with no
            # customer yet nothing is known, so every value is a new one.
            current = spec.model._meta.get_field(spec.name).default
            if current == new:
                continue
        drafts.value(m.Preferences, spec.name, new, row=row)


def _linked_accounts(drafts: _Drafts, data: dict, customer: m.Customer | None) -> None:
    for target in data.get("unlink") or ():
        account = _row(
            rows_of(customer, "linked_accounts", m.LinkedAccount), target, _("linked account")
        )
        external = display(account.external_id, account.field_policies["external_id"])
        with _stored_words():
            drafts.action(
                m.LinkedAccount,
                "unlink",
                old_display=f"{account.get_provider_display()} ({external})",
                new_display=_("Unlinked"),
                target_id=account.pk,
                new_value="",
            )


def _card_display(brand: str, bin_: str, last4: str) -> str:
    """What PCI DSS 3.4.1 lets the desk show: brand, BIN and last four."""
    return f"{capfirst(brand)} {bin_[:4]} {bin_[4:6]}•• •••• {last4}"


def _address_display(address: m.PostalAddress | None) -> str:
    if address is None:
        return ""
    policies = m.PostalAddress.field_policies
    return ", ".join(
        part
        for part in (
            display(address.line1, policies["line1"]),
            display(address.postal_code, policies["postal_code"]),
            address.country,
        )
        if part
    )


def _card(drafts: _Drafts, data: dict, customer: m.Customer | None) -> None:
    number = data.get("card_number")
    if _blank(number):
        return
    cards = rows_of(customer, "cards", m.PaymentCard)
    row = _row(cards, data.get("card_target"), _("card"))
    validate_card(number)  # the same rules the form applied; a message without digits
    try:
        token = get_vault().tokenize_card(number)
    except CardNumberError:
        raise ValidationError(_("The vault refused this card number."), code="vault") from None
    drafts.card(
        row=row,
        token=token.token,
        fingerprint=token.fingerprint,
        brand=token.brand,
        bin=token.bin,
        last4=token.last4,
    )
    for name in ("exp_month", "exp_year", "holder_name"):
        new = data.get(f"card_{name}")
        if not _blank(new):
            # A replacement card is a new card: every detail goes with it.
            drafts.value(m.PaymentCard, name, new, row=row, always=True)
    addresses = rows_of(customer, "addresses", m.PostalAddress)
    address = _row(addresses, data.get("card_billing_address"), _("address"))
    if address is not None:
        drafts.value(
            m.PaymentCard,
            "billing_address",
            address,
            row=row,
            always=True,
            new_display=_address_display(address),
            old_display=_address_display(row.billing_address) if row else "",
        )
    if data.get("card_make_default") or not cards.filter(is_default=True).exists():
        drafts.value(m.PaymentCard, "is_default", True, row=row)


def _bank(drafts: _Drafts, data: dict, customer: m.Customer | None) -> None:
    iban = data.get("iban")
    if _blank(iban):
        return
    accounts = rows_of(customer, "bank_accounts", m.BankAccount)
    row = _row(accounts, data.get("bank_target"), _("bank account"))
    token = get_vault().tokenize_iban(validate_iban(iban))
    drafts.bank_account(
        row=row,
        token=token.token,
        fingerprint=token.fingerprint,
        iban_masked=token.iban_masked,
        country=token.country,
    )
    for name in ("account_holder", "bank_name"):
        new = data.get(name)
        if not _blank(new):
            drafts.value(m.BankAccount, name, new, row=row)
    if data.get("bank_make_default") or not accounts.filter(is_default=True).exists():
        drafts.value(m.BankAccount, "is_default", True, row=row)


def _billing(drafts: _Drafts, data: dict, customer: m.Customer | None) -> None:
    # The forms refuse it first; this holds for callers that build cleaned_data themselves.
    refuse_card_security_code(key for key, value in data.items() if not _blank(value))
    _card(drafts, data, customer)
    _bank(drafts, data, customer)


def _language_region(drafts: _Drafts, data: dict, customer: m.Customer | None) -> None:
    row = section_of(customer, "language_region")
    _set_fields(drafts, m.LanguageRegion, row, data, ("language", "locale", "time_zone", "country"))


def _organisation(drafts: _Drafts, data: dict, customer: m.Customer | None) -> None:
    row = section_of(customer, "organisation")
    names = [spec.name for spec in CATEGORY_FIELDS[Category.ORGANISATION]]
    _set_fields(drafts, m.Organisation, row, data, names)


def avatar_store(file) -> str:
    """Keep an uploaded avatar until the change is applied: re-encoded, so that what is
    stored is pixels only (no EXIF: no camera, no GPS position), in its own format.

    Written now, before the ticket's rows: the store being down fails the capture with
    a clear error (profiledesk.storage), never a committed ticket whose picture is
    missing. A capture whose transaction rolls back leaves the file with no change item
    naming it; the daily sweep deletes it (privacy/orphans.py). A random name: another
    file never takes it."""
    file.seek(0)
    with Image.open(file) as image:
        image_format = image.format
        upright = ImageOps.exif_transpose(image)
        buffer = io.BytesIO()
        options = {"quality": 90} if image_format in ("JPEG", "WEBP") else {}
        upright.save(buffer, format=image_format, **options)
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[image_format]
    name = f"avatars/pending/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{extension}"
    saved = default_storage.save(name, ContentFile(buffer.getvalue()))
    if saved != name:  # cannot happen with 128 random bits; say so loudly if it does
        logger.error("Pending avatar %s was stored as %s", name, saved)
    return saved


def _avatar(drafts: _Drafts, data: dict, customer: m.Customer | None) -> None:
    file = data.get("image")
    if _blank(file):
        return
    row = section_of(customer, "avatar")
    stored = avatar_store(file)
    width, height = getattr(file, "image_size", (None, None))
    image_format = getattr(file, "image_format", "")
    with _stored_words():
        drafts.value(
            m.Avatar,
            "image",
            None,
            row=row,
            new_value=stored,
            new_display=(
                _("New image (%(format)s, %(width)s × %(height)s px)")
                % {"format": image_format, "width": width, "height": height}
                if width
                else _("New image")
            ),
            old_display=_("Current image") if row is not None and row.image else "",
            always=True,
        )


_BUILDERS = {
    Category.PERSONAL: _personal,
    Category.CONTACT: _contact,
    Category.SECURITY: _security,
    Category.PREFERENCES: _preferences,
    Category.LINKED_ACCOUNTS: _linked_accounts,
    Category.BILLING: _billing,
    Category.LANGUAGE_REGION: _language_region,
    Category.ORGANISATION: _organisation,
    Category.AVATAR: _avatar,
}


def drafts_for(
    *, category: str, cleaned_data: dict, customer: m.Customer | None
) -> list[ItemDraft]:
    """The change items a validated category form asks for, in form order.

    Raises ValidationError (for the form as a whole) when nothing would change, when a
    row to change is not the customer's, or when the vault refuses a number. Card
    numbers go to the vault here and nowhere else; call it inside the transaction that
    creates the ticket, so that a refused ticket leaves no vaulted IBAN behind.
    """
    builder = _BUILDERS.get(category)
    if builder is None:
        raise ValidationError(_("Unknown category."), code="category")
    drafts = _Drafts(category)
    builder(drafts, dict(cleaned_data), customer)
    if not drafts.items:
        raise ValidationError(
            _("Nothing to change: every value given is what the profile already holds."),
            code="no_change",
        )
    return drafts.items


def value_now(
    *, section: str, field: str, customer: m.Customer, row: models.Model | None = None
) -> str | None:
    """What an item captured before its customer was known (an API request without a
    customer, matched later) replaces on a one-row section of `customer`, masked as
    `drafts_for` would have shown it; None where there is nothing to show: a new row of a
    multi-row section, a command, the avatar (its old value is "Current image"), a section
    never filled in. A security answer hash or a vault token never reaches here: they
    live on multi-row sections. `row`: the customer's row of a multi-row section the item
    is now known to change (an API request's new e-mail replacing the primary one)."""
    try:
        spec = resolve_field(section, field)
    except LookupError:
        return None
    link = spec.model._meta.get_field("customer")
    if spec.kind != Kind.VALUE or spec.model is m.Avatar:
        return None
    if row is None and link.one_to_one:
        row = section_of(customer, link.remote_field.get_accessor_name())
    if row is None or getattr(row, "customer_id", None) != customer.pk:
        return None
    old = getattr(row, spec.name)
    return _shown(spec, old.pk if isinstance(old, models.Model) else old)
