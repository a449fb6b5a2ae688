"""The statement a data-subject access export carries (GDPR Art. 15(1) a–h).

One place for the texts: purposes, recipients (the client's connected systems), the
retention periods (read from the settings, never restated here), the source of the data
and the data subject's rights.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from profiledesk.connectors.models import Connector


def purposes() -> list[dict[str, str]]:
    return [
        {
            "purpose": _("Handling your requests to change your profile"),
            "basis": _("Performance of the contract you hold with %(client)s (Art. 6(1)(b))"),
        },
        {
            "purpose": _("Verifying your identity before a change is made"),
            "basis": _("Legitimate interest in protecting your account (Art. 6(1)(f))"),
        },
        {
            "purpose": _("Preventing fraud and account takeover"),
            "basis": _("Legitimate interest in protecting your account (Art. 6(1)(f))"),
        },
        {
            "purpose": _("Keeping a record of every change and who made it"),
            "basis": _("Legal obligation and audit requirements (Art. 6(1)(c))"),
        },
        {
            "purpose": _("Telling you about changes to your profile"),
            "basis": _("Performance of the contract (Art. 6(1)(b))"),
        },
    ]


def recipients(*, client) -> list[dict]:
    """The client's connected systems that receive profile changes (never a URL or secret)."""
    return [
        {"name": c.name, "kind": c.get_kind_display(), "active": c.is_active}
        for c in Connector.objects.filter(client=client).order_by("name")
    ]


def retention() -> list[dict[str, str]]:
    history_days = getattr(settings, "HISTORY_RETENTION_DAYS", 400)
    document_days = settings.VERIFICATION_DOCUMENT_RETENTION_DAYS
    export_days = settings.EXPORT_RETENTION_DAYS
    return [
        {
            "data": _("Your profile"),
            "period": _("As long as you are a customer of %(client)s"),
        },
        {
            "data": _("History of changes to your profile, and the audit log"),
            "period": _("%(days)d days (at least 12 months: PCI DSS 10.5.1)")
            % {"days": history_days},
        },
        {
            "data": _("Identity documents checked to verify you"),
            "period": _("%(days)d days after the check, then deleted") % {"days": document_days},
        },
        {
            "data": _("This export"),
            "period": _("%(days)d days after it was made, then deleted") % {"days": export_days},
        },
    ]


def source() -> str:
    return _(
        "You, when you asked for a change by phone, chat, e-mail, app or web form; "
        "%(client)s, whose systems hold your account; and the desk's own records of "
        "each request."
    )


def rights() -> list[str]:
    return [
        _("Rectification of inaccurate data (Art. 16): ask %(client)s or the desk for a change."),
        _("Erasure (Art. 17) and restriction of processing (Art. 18), where the law allows."),
        _("Being told of corrections passed on to the recipients above (Art. 19)."),
        _("Objection to processing based on legitimate interest (Art. 21)."),
        _("A complaint to your data protection supervisory authority (Art. 77)."),
    ]


def statement(*, client) -> dict:
    """The Art. 15 statement for a customer of `client`, with the client's name filled in."""
    name = {"client": client.name}
    return {
        "controller": client.name,
        "processor": _("ProfileDesk, on behalf of %(client)s") % name,
        "purposes": [{key: text % name for key, text in purpose.items()} for purpose in purposes()],
        "recipients": recipients(client=client),
        "retention": [
            {key: text.replace("%(client)s", client.name) for key, text in row.items()}
            for row in retention()
        ],
        "source": source() % name,
        "rights": [text % name for text in rights()],
        "secrets_withheld": _(
            "Card numbers, security answers, one-time codes and payment tokens are never "
            "kept in readable form by the desk: cards appear as brand, last four digits "
            "and expiry; bank accounts as a masked IBAN."
        ),
    }
