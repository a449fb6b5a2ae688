"""Where an inbound e-mail goes: which client, which customer, which category.

- **Client**: the plus tag of the address it was sent to. Each client's customers write to
  `requests+<client slug>@<the desk's inbound domain>` (e.g. requests+northwind@…); the
  first recipient whose tag is the slug of an active client wins. No such recipient: the
  e-mail is refused (it cannot be put on any client's queue).
- **Customer**: the sender's address, exactly (addresses are stored lower-cased), among
  that client's customers. Nobody, or more than one customer, has it: the ticket is
  *unmatched* (no customer) and an agent matches it.
- **Category**: a keyword guess over the subject (counted twice) and the body; no keyword:
  `contact`. The agent corrects it when they capture the changes.
"""

import re

from profiledesk.clients.models import Client
from profiledesk.customers.models import Customer, EmailAddress
from profiledesk.policies.categories import Category

from .parsing import plus_tag

DEFAULT_CATEGORY = Category.CONTACT

KEYWORDS: dict[str, list[str]] = {
    Category.BILLING: ["card", "payment", "bank", "iban", "billing", "direct debit", "invoice"],
    Category.SECURITY: [
        "password",
        "2fa",
        "two-factor",
        "two factor",
        "authenticator",
        "locked out",
        "sign out",
        "log in",
        "login",
        "hacked",
    ],
    Category.CONTACT: [
        "e-mail address",
        "email address",
        "phone",
        "mobile",
        "address",
        "moved",
        "postcode",
        "postal code",
        "zip code",
    ],
    Category.PERSONAL: [
        "legal name",
        "my name",
        "surname",
        "maiden name",
        "married",
        "date of birth",
        "birthday",
        "national id",
        "passport",
    ],
    Category.PREFERENCES: [
        "newsletter",
        "marketing",
        "unsubscribe",
        "notification",
        "notifications",
        "opt out",
        "auto-renew",
        "renewal",
    ],
    Category.LINKED_ACCOUNTS: ["google", "facebook", "apple", "microsoft", "linked", "unlink"],
    Category.LANGUAGE_REGION: ["language", "time zone", "timezone", "locale"],
    Category.ORGANISATION: ["company", "vat", "tax id", "business", "registration number"],
    Category.AVATAR: ["photo", "picture", "avatar", "profile image"],
}
_PATTERNS = {
    category: [re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE) for word in words]
    for category, words in KEYWORDS.items()
}


def client_for(recipients: list[str]) -> Client | None:
    tags = [tag for tag in (plus_tag(address) for address in recipients) if tag]
    if not tags:
        return None
    clients = {c.slug: c for c in Client.objects.filter(slug__in=tags, is_active=True)}
    return next((clients[tag] for tag in tags if tag in clients), None)


def customer_for(client: Client, sender: str) -> Customer | None:
    """The one customer of `client` with this address, or None (nobody, or ambiguous)."""
    if not sender:
        return None
    ids = list(
        EmailAddress.objects.filter(customer__client=client, email=sender.lower())
        .values_list("customer_id", flat=True)
        .distinct()[:2]
    )
    if len(ids) != 1:
        return None
    return Customer.objects.get(pk=ids[0])


def guess_category(subject: str, text: str) -> str:
    scores = {
        category: 2 * sum(len(p.findall(subject)) for p in patterns)
        + sum(len(p.findall(text)) for p in patterns)
        for category, patterns in _PATTERNS.items()
    }
    best = max(scores.values())
    if best == 0:
        return DEFAULT_CATEGORY
    return next(category for category, score in scores.items() if score == best)
