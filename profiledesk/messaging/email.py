"""E-mail through Django's e-mail backend (SMTP in production): text and HTML parts."""

import hashlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from .errors import SendError, TransientSendError


def send_email(*, to: str, subject: str, text: str, html: str, reference: str) -> str:
    """Send and return the Message-ID, which is also the provider message id."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "profiledesk.invalid"
    # The customer sees a digest of the reference, not the desk's own idempotency key.
    digest = hashlib.sha256(reference.encode()).hexdigest()[:24]
    # The same Message-ID on every attempt: a worker killed after the SMTP server took
    # the message but before it was marked sent makes the sweep send it again, and mail
    # systems keep one message per Message-ID (make test-scale).
    message_id = f"<{digest}@{domain}>"
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id, "X-Desk-Reference": digest},
        connection=get_connection(fail_silently=False),
    )
    if html:
        email.attach_alternative(html, "text/html")
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as error:
        codes = sorted({code for code, _ in error.recipients.values()})
        transient = all(400 <= code < 500 for code in codes)
        kind = TransientSendError if transient else SendError
        raise kind(f"SMTP refused the recipient: {codes}") from error
    except smtplib.SMTPResponseException as error:
        kind = TransientSendError if 400 <= error.smtp_code < 500 else SendError
        raise kind(f"SMTP answered {error.smtp_code}") from error
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        raise TransientSendError(f"SMTP: {type(error).__name__}") from error
    return message_id
