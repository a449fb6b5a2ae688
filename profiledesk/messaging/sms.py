"""SMS gateway adapters. SMS_GATEWAY names the class (dotted path); a provider's own
adapter replaces the HTTP one by providing the same `send()`.

- `HttpGateway`: JSON POST `{to, text, reference}` to SMS_GATEWAY_URL with
  `Authorization: Bearer SMS_GATEWAY_TOKEN`; the provider's message id is read from the
  JSON answer (`id` or `message_id`).
- `FileSink` (demo): writes each SMS to SMS_SINK_DIR/<time>-<reference>.json.
- `LocmemGateway` (tests): keeps each SMS in `sms.outbox`, like `mail.outbox`.
"""

import datetime as dt
import hashlib
import json
import uuid
from pathlib import Path
from typing import Protocol

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .errors import SendError, TransientSendError


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str, reference: str) -> str:
        """Hand the SMS to the provider and return its message id."""


def get_sms_gateway() -> SmsGateway:
    return import_string(settings.SMS_GATEWAY)()


class HttpGateway:
    def __init__(self) -> None:
        self.url = settings.SMS_GATEWAY_URL
        self.token = settings.SMS_GATEWAY_TOKEN
        self.timeout = float(settings.SMS_GATEWAY_TIMEOUT)

    def send(self, *, to: str, text: str, reference: str) -> str:
        if not self.url:
            raise SendError("SMS_GATEWAY_URL is not set")
        try:
            response = requests.post(
                self.url,
                json={"to": to, "text": text, "reference": reference},
                headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.Timeout as error:
            raise TransientSendError("SMS gateway: timed out") from error
        except requests.RequestException as error:
            raise TransientSendError(f"SMS gateway: {type(error).__name__}") from error
        status = response.status_code
        if status == 429 or status >= 500:
            raise TransientSendError(f"SMS gateway answered HTTP {status}")
        if status >= 400:
            raise SendError(f"SMS gateway refused the message: HTTP {status}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            answer = {}
        provider_id = answer.get("id") or answer.get("message_id")
        # Accepted (2xx) even without an id: sending again would deliver it twice.
        return str(provider_id or "")


class FileSink:
    """The demo's SMS provider: one JSON file per SMS, read by the Dev outbox page."""

    def send(self, *, to: str, text: str, reference: str) -> str:
        folder = Path(settings.SMS_SINK_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        now = timezone.now()
        provider_id = f"sink-{uuid.uuid4().hex[:16]}"
        name = hashlib.sha256(reference.encode()).hexdigest()[:16]
        record = {"id": provider_id, "to": to, "text": text, "reference": reference}
        record["sent_at"] = now.isoformat()
        path = folder / f"{now:%Y%m%dT%H%M%S%f}-{name}.json"
        path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
        return provider_id


outbox: list[dict] = []


class LocmemGateway:
    """The test suite's SMS provider: `profiledesk.messaging.sms.outbox` lists what went."""

    def send(self, *, to: str, text: str, reference: str) -> str:
        provider_id = f"locmem-{len(outbox) + 1}"
        outbox.append(
            {
                "id": provider_id,
                "to": to,
                "text": text,
                "reference": reference,
                "at": dt.datetime.now(dt.UTC),
            }
        )
        return provider_id
