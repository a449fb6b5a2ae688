"""Reading the demo's local sinks for the Dev outbox page: the e-mails Django's file
backend wrote to EMAIL_FILE_PATH and the SMS `sms.FileSink` wrote to SMS_SINK_DIR."""

import datetime as dt
import email
import email.policy
import json
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings

# The file backend ends every message with a line of 79 dashes.
_SEPARATOR = "\n" + "-" * 79 + "\n"
FILES_READ = 200  # the newest files of each sink; older ones are not shown


@dataclass(frozen=True)
class Delivered:
    channel: str  # "email" or "sms"
    at: dt.datetime
    to: str
    subject: str
    text: str


def _newest(folder: Path, pattern: str) -> list[Path]:
    if not folder.is_dir():
        return []
    files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    return files[:FILES_READ]


def _emails(folder: Path) -> list[Delivered]:
    found = []
    for path in _newest(folder, "*.log"):
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        for chunk in path.read_text(errors="replace").split(_SEPARATOR):
            if not chunk.strip():
                continue
            message = email.message_from_string(chunk.lstrip("\n"), policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            try:
                at = parsedate_to_datetime(message["Date"]) if message["Date"] else mtime
            except (TypeError, ValueError):
                at = mtime
            if at.tzinfo is None:  # "-0000": UTC, zone not stated
                at = at.replace(tzinfo=dt.UTC)
            found.append(
                Delivered(
                    channel="email",
                    at=at,
                    to=str(message["To"] or ""),
                    subject=str(message["Subject"] or ""),
                    text=body.get_content() if body is not None else "",
                )
            )
    return found


def _sms(folder: Path) -> list[Delivered]:
    found = []
    for path in _newest(folder, "*.json"):
        try:
            record = json.loads(path.read_text())
            at = dt.datetime.fromisoformat(record["sent_at"])
        except (ValueError, KeyError):
            continue
        found.append(Delivered("sms", at, record.get("to", ""), "", record.get("text", "")))
    return found


def dev_outbox(*, limit: int = 100) -> list[Delivered]:
    """What the demo's customers received, newest first."""
    mail_dir = getattr(settings, "EMAIL_FILE_PATH", None)
    entries = _emails(Path(mail_dir)) if mail_dir else []
    entries += _sms(Path(settings.SMS_SINK_DIR))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
