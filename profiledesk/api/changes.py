"""The API's `changes`, bound to the desk's own capture form of the category.

`changes` holds field names of the category's form in `intake.forms` (the serializer
checks only that they arrive as JSON of the right types), and the form does the rest:
required fields, normalisation, the CVV refusal, dates in the client's time zone and
every message. Its errors are the 400's `changes` messages; its cleaned data becomes
change items through the same `intake.capture.drafts_for` the desk uses. A ticket from
the API reads exactly like one typed by an agent.

What the API means where the form lets the agent choose, as the desk pre-selects it:
- a new e-mail, phone or address **replaces the primary one** (a new primary if the
  customer has none);
- an address, a national ID or a tax ID without its country is in the country the desk
  offers first (the one on file, else the customer's; with no customer, the client's);
- a new card or bank account is added and becomes the default;
- `unlink_provider` names the provider; the customer's accounts with it are unlinked.

Avatar changes need an image upload and are not taken by the JSON API.
"""

from django.utils.translation import gettext as _

from profiledesk.clients.models import Client
from profiledesk.customers.models import Customer
from profiledesk.intake.forms import ChangeForm, form_for
from profiledesk.intake.validators import is_card_security_code
from profiledesk.policies.categories import Category

API_CATEGORIES = [c for c in Category if c != Category.AVATAR]

# The desk's pre-selection the API keeps when `changes` leaves these out.
PRESELECTED = ("email_target", "phone_target", "address_target", "address_country",
               "national_id_country", "tax_id_country")  # fmt: skip
# Where the API's name is not the form's: API name -> form field.
API_NAMES = {"unlink_provider": "unlink"}
FORM_NAMES = {form: api for api, form in API_NAMES.items()}


def _form_data(*, changes: dict, customer: Customer | None, preselected: dict) -> dict:
    """`changes` as the form's data: what an agent would submit on the desk's page."""
    data = {**preselected, **changes}
    if "card_number" in data:
        data["card_make_default"] = True
    if "iban" in data:
        data["bank_make_default"] = True
    if "unlink_provider" in data:
        provider = data.pop("unlink_provider")
        accounts = customer.linked_accounts.filter(provider=provider) if customer else ()
        data["unlink"] = [account.pk for account in accounts]
    return data


def capture_form(
    *, client: Client, category: str, changes: dict, customer: Customer | None
) -> ChangeForm:
    """The category's capture form, bound to `changes` (validate it with is_valid())."""
    blank = form_for(category, customer=customer, client=client)
    preselected = {
        name: blank.fields[name].initial
        for name in PRESELECTED
        if name in blank.fields and blank.fields[name].initial not in (None, "")
    }
    data = _form_data(changes=changes, customer=customer, preselected=preselected)
    return form_for(category, customer=customer, client=client, data=data)


def changes_errors(*, form: ChangeForm, changes: dict) -> dict[str, list[str]]:
    """The 400's `changes` messages (none: the form is valid), by the names the caller
    sent; messages about the change as a whole under `non_field_errors`."""
    foreign = [
        name
        for name in changes
        if API_NAMES.get(name, name) not in form.fields and not is_card_security_code(name)
    ]
    if foreign:
        message = _("Not a field of the %(category)s category.") % {"category": form.category}
        return {name: [message] for name in foreign}
    if form.is_valid():
        return {}
    return {
        "non_field_errors" if name == "__all__" else FORM_NAMES.get(name, name): [
            str(message) for message in messages
        ]
        for name, messages in form.errors.items()
    }
