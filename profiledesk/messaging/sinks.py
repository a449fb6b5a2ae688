"""Reading the demo's local sinks for the Dev outbox page: the e-mails Django's file
backend wrote to EMAIL_FILE_PATH and the SMS `sms.FileSink` wrote to SMS_SINK_DIR.

Files are read as bytes and e-mails parsed as bytes: a body Django wrote as 8-bit UTF-8
read back through `str` comes out as "\\u2022" or "�" (the email package re-encodes a
str-parsed 8-bit body with raw-unicode-escape). Pages are keyset: newest first by
(time, key), the next page starts after the last entry shown, and the files are read
newest first until the page is full and no older file can hold a newer entry.
"""

import datetime as dt
import email
import email.policy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings

# The file backend ends every message with a line of 79 dashes.
_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
PAGE_SIZE = 50


@dataclass(frozen=True)
class Delivered:
    channel: str  # "email" or "sms"
    at: dt.datetime
    to: str
    subject: str
    text: str
    key: str = ""  # "<file name>#<n>": the order among messages of the same second

    @property
    def cursor(self) -> str:
        return f"{self.at.isoformat()}|{self.key}"


@dataclass(frozen=True)
class OutboxPage:
    entries: list[Delivered]
    next_cursor: str | None  # None: this is the last page


def _mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)


def _email_file(path: Path) -> list[Delivered]:
    found = []
    mtime = _mtime(path)
    for n, chunk in enumerate(path.read_bytes().split(_SEPARATOR)):
        if not chunk.strip():
            continue
        message = email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default)
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
                key=f"{path.name}#{n}",
            )
        )
    return found


def _sms_file(path: Path) -> list[Delivered]:
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
        at = dt.datetime.fromisoformat(record["sent_at"])
    except (ValueError, KeyError):
        return []
    return [
        Delivered("sms", at, record.get("to", ""), "", record.get("text", ""), f"{path.name}#0")
    ]


def _files_newest_first() -> Iterator[tuple[dt.datetime, Path]]:
    folders = []
    if mail_dir := getattr(settings, "EMAIL_FILE_PATH", None):
        folders.append((Path(mail_dir), "*.log"))
    folders.append((Path(settings.SMS_SINK_DIR), "*.json"))
    files = [
        (_mtime(path), path)
        for folder, pattern in folders
        if folder.is_dir()
        for path in folder.glob(pattern)
    ]
    yield from sorted(files, key=lambda item: item[0], reverse=True)


def _parse_cursor(cursor: str | None) -> tuple[dt.datetime, str] | None:
    if not cursor:
        return None
    at, _, key = cursor.partition("|")
    try:
        parsed = dt.datetime.fromisoformat(at)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)), key


def dev_outbox(*, after: str | None = None, limit: int = PAGE_SIZE) -> OutboxPage:
    """What the demo's customers received, newest first: the `limit` entries after the
    cursor `after` (an unreadable cursor starts from the newest)."""
    start = _parse_cursor(after)
    found: list[Delivered] = []
    for mtime, path in _files_newest_first():
        # A message is written after it is dated, so a file holds nothing newer than its
        # modification time: once the page is full, older files cannot change it.
        if len(found) > limit and mtime < found[limit].at - dt.timedelta(seconds=1):
            break
        entries = _email_file(path) if path.suffix == ".log" else _sms_file(path)
        found += [e for e in entries if start is None or (e.at, e.key) < start]
        found.sort(key=lambda e: (e.at, e.key), reverse=True)
    page = found[:limit]
    more = len(found) > limit
    return OutboxPage(entries=page, next_cursor=page[-1].cursor if more and page else None)
