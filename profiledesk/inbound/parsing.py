"""An inbound e-mail, from a provider's inbound-parse POST or from an .eml file.

Providers post a multipart form: `from`, `to`, `cc`, `subject`, `text`, `html` (optional),
`headers` (optional, raw), `envelope` (optional, JSON with "to"), and the attachments as
files. A provider set to send the raw message posts it whole as the `email` field; it is
then parsed like an .eml file (Python's `email` package).
"""

import email
import email.policy
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from django.utils.html import strip_tags

from profiledesk.intake.json_limits import loads_limited

# More than this is not a change request, it is a mail loop or an attack.
MAX_TEXT = 20_000
# {"to": [...], "from": ...}: two levels; a little room for providers that add more.
ENVELOPE_MAX_DEPTH = 8


@dataclass(frozen=True)
class InboundFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class InboundEmail:
    sender: str  # the From address, lower-cased ("" when there is none)
    recipients: list[str]  # every address it was sent to, lower-cased
    subject: str
    text: str  # plain text; an HTML-only message is reduced to its text
    message_id: str = ""
    attachments: list[InboundFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the provider said (SPF, DKIM)


def _address(value: str) -> str:
    return parseaddr(value or "")[1].strip().lower()


def _addresses(*values: str) -> list[str]:
    found = []
    for _name, addr in getaddresses([v for v in values if v]):
        addr = addr.strip().lower()
        if addr and addr not in found:
            found.append(addr)
    return found


def _html_to_text(html: str) -> str:
    return "\n".join(line.strip() for line in strip_tags(html).splitlines() if line.strip())


def _header_text(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header is treated as absent
        return ""
    return str(value or "")


def from_message(msg: EmailMessage) -> InboundEmail:
    recipients = _addresses(
        *(_header_text(msg, h) for h in ("Delivered-To", "X-Original-To", "To", "Cc"))
    )
    body = None
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
    except (LookupError, KeyError, UnicodeError, AttributeError):
        text = ""
    if body is not None and body.get_content_subtype() == "html":
        text = _html_to_text(text)
    attachments = []
    for part in msg.iter_attachments():
        try:
            payload = part.get_payload(decode=True)  # bytes, or None for a multipart part
            content = payload if isinstance(payload, bytes) else b""
            name = part.get_filename() or "attachment"
        except Exception:  # an undecodable part is kept as an empty file
            content, name = b"", "attachment"
        attachments.append(InboundFile(name=name, content=content))
    return InboundEmail(
        sender=_address(_header_text(msg, "From")),
        recipients=recipients,
        subject=_header_text(msg, "Subject").strip(),
        text=text.strip()[:MAX_TEXT],
        message_id=_header_text(msg, "Message-ID").strip(),
        attachments=attachments,
    )


def from_eml(raw: bytes) -> InboundEmail:
    return from_message(email.message_from_bytes(raw, policy=email.policy.default))


def from_form(data, files) -> InboundEmail:
    """From an inbound-parse POST (`data` a QueryDict, `files` a MultiValueDict)."""
    if data.get("email"):
        parsed = from_eml(data["email"].encode("utf-8", "surrogateescape"))
        return parsed
    envelope_to: list[str] = []
    try:
        # Measured before it is parsed (a deep nest is a RecursionError): then ignored.
        envelope = loads_limited(data.get("envelope") or "{}", max_depth=ENVELOPE_MAX_DEPTH)
        envelope_to = [str(a) for a in envelope.get("to", [])] if isinstance(envelope, dict) else []
    except (ValueError, TypeError):  # JSONLimitError is a ValueError
        pass
    recipients = _addresses(
        *envelope_to, data.get("recipient", ""), data.get("to", ""), data.get("cc", "")
    )
    text = data.get("text") or _html_to_text(data.get("html") or "")
    message_id = data.get("Message-Id", "")
    if not message_id and data.get("headers"):
        headers = email.message_from_string(data["headers"], policy=email.policy.default)
        message_id = _header_text(headers, "Message-ID")
    notes = [f"{name}: {data[name]}" for name in ("SPF", "dkim") if data.get(name)]
    return InboundEmail(
        sender=_address(data.get("from", "")),
        recipients=recipients,
        subject=(data.get("subject") or "").strip(),
        text=text.strip()[:MAX_TEXT],
        message_id=message_id.strip(),
        attachments=[
            InboundFile(name=upload.name or "attachment", content=upload.read())
            for upload in files.values()
        ],
        notes=notes,
    )


def plus_tag(address: str) -> str:
    """ "requests+northwind@desk.example" -> "northwind" ("" without a tag)."""
    try:
        local = Address(addr_spec=address).username
    except (ValueError, IndexError, TypeError):
        local = address.partition("@")[0]
    return local.partition("+")[2].lower()
