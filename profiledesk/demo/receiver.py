"""The demo's downstream systems: one small HTTP process (`run_demo` starts and stops it)
that plays each demo client's CRM and billing system, built exactly as docs/webhooks.md
tells a client's engineers to build one: `verify` and `Records.apply` of
docs/examples/webhook_receiver.py, nothing of the desk's.

Each system is a path (`/northwind/crm`) with its own signing secret and its own records.
The secrets arrive on stdin from `run_demo` (never in argv, a file or a log); what the
systems received and hold is kept in a SQLite file of their own, which the desk's demo
page (`receiver_views.py`) reads to show a delivery as the client's system saw it. The
log says what arrived and what became of it, never a value or a secret.

    python -m profiledesk.demo.receiver --port 8001 --store var/receiver.sqlite3 < config

Standard library only: it is the client's system, not the desk.
"""

import argparse
import contextlib
import importlib.util
import json
import sqlite3
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "webhook_receiver.py"
MAX_BODY = 1_000_000  # bytes; the desk's events are a few kilobytes
# Outcomes of a verified event (Records.apply), each a 2xx for the desk.
ACCEPTED = ("applied", "duplicate", "stale")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    system TEXT NOT NULL,
    received_at TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    verified INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER NOT NULL,
    event TEXT
);
CREATE INDEX IF NOT EXISTS requests_key ON requests (idempotency_key);
CREATE TABLE IF NOT EXISTS records (
    system TEXT NOT NULL,
    customer TEXT NOT NULL,
    record TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (system, customer)
);
"""


def example() -> ModuleType:
    """docs/examples/webhook_receiver.py, the receiver logic the docs publish."""
    spec = importlib.util.spec_from_file_location("webhook_receiver", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _connect(path: Path | str, *, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    """A connection to the store for one unit of work: committed (or rolled back) and
    closed at the end."""
    if readonly:
        db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)  # a fresh clone has no var/
        db = sqlite3.connect(path, timeout=20)
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
    db.row_factory = sqlite3.Row
    try:
        with db:  # a transaction
            yield db
    finally:
        db.close()


# --- A record as Records keeps it ({(field, row): value, "sequence", "commands"}) and as
# the store keeps it (JSON: tuple keys become a list of values).


def record_dump(record: dict) -> str:
    values = [
        {"field": key[0], "row": key[1], "value": value}
        for key, value in record.items()
        if isinstance(key, tuple)
    ]
    return json.dumps(
        {
            "sequence": record.get("sequence", 0),
            "commands": record.get("commands", []),
            "values": values,
        }
    )


def record_load(text: str) -> dict:
    stored = json.loads(text)
    record: dict[Any, Any] = {(v["field"], v["row"]): v["value"] for v in stored["values"]}
    record["sequence"] = stored["sequence"]
    record["commands"] = stored["commands"]
    return record


# --- What the desk's demo page reads -------------------------------------------------


def requests_for(store: Path | str, *, idempotency_key: str) -> list[dict]:
    """Every request that reached a system with this Idempotency-Key, oldest first (each
    attempt of one delivery); [] when the store does not exist yet."""
    if not Path(store).exists():
        return []
    with _connect(store, readonly=True) as db:
        rows = db.execute(
            "SELECT system, received_at, verified, outcome, status, event FROM requests"
            " WHERE idempotency_key = ? ORDER BY id",
            (idempotency_key,),
        ).fetchall()
    return [
        {**dict(row), "event": json.loads(row["event"]) if row["event"] else None} for row in rows
    ]


def record_of(store: Path | str, *, system: str, customer: str) -> dict | None:
    """What `system` holds of `customer` now: {"sequence", "commands", "values",
    "updated_at"}, or None."""
    if not Path(store).exists():
        return None
    with _connect(store, readonly=True) as db:
        row = db.execute(
            "SELECT record, updated_at FROM records WHERE system = ? AND customer = ?",
            (system, customer),
        ).fetchone()
    if row is None:
        return None
    return {**json.loads(row["record"]), "updated_at": row["updated_at"]}


def forget(store: Path | str, *, systems: list[str]) -> None:
    """Wipe what `systems` received and hold: they are new systems now (a demo connector
    made again, as on a fresh demo database, whose customers' events start again at
    sequence 1 and would otherwise all look stale)."""
    if not systems or not Path(store).exists():
        return
    with _connect(store) as db:
        for table in ("requests", "records"):
            db.executemany(f"DELETE FROM {table} WHERE system = ?", [(s,) for s in systems])  # noqa: S608


# --- The receiving systems -----------------------------------------------------------


class Systems:
    """Every demo system: its secret, its client and its `Records`, kept in the store."""

    def __init__(self, *, store: Path, systems: dict[str, dict]):
        self.logic = example()
        self.store = store
        self.config = systems
        # One event at a time (Records is not thread-safe); re-entrant: a refusal inside
        # the apply records itself under the same lock.
        self.lock = threading.RLock()
        self.records: dict[str, Any] = {path: self.logic.Records() for path in systems}
        with _connect(store) as db:
            for row in db.execute("SELECT system, customer, record FROM records"):
                if row["system"] in self.records:
                    customers = self.records[row["system"]].customers
                    customers[row["customer"]] = record_load(row["record"])
            placeholders = ",".join("?" * len(ACCEPTED))
            for row in db.execute(
                f"SELECT system, idempotency_key FROM requests WHERE verified = 1"  # noqa: S608
                f" AND outcome IN ({placeholders})",
                ACCEPTED,
            ):
                if row["system"] in self.records:
                    self.records[row["system"]].seen.add(row["idempotency_key"])

    def receive(self, *, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        """(HTTP status, outcome) for one request, recorded in the store."""
        system = self.config.get(path)
        if system is None:
            return 404, "no such system"
        key = headers.get("idempotency-key", "")[:255]
        try:
            event = self.logic.verify(secret=system["secret"], headers=headers, body=body)
        except KeyError:
            return self._refuse(path, key, 400, "a signature header is missing")
        except json.JSONDecodeError:
            return self._refuse(path, key, 400, "not JSON")
        except ValueError as error:  # "stale signature", "bad signature"
            return self._refuse(path, key, 401, str(error))
        if not isinstance(event, dict) or event.get("client") != system["client"]:
            # Signed with this system's secret, yet for another client: never mixed in.
            return self._refuse(path, key, 403, "another client's event", verified=True)
        with self.lock:
            try:
                outcome = self.records[path].apply(event, idempotency_key=key)
            except (KeyError, TypeError):
                return self._refuse(path, key, 400, "not an event this system knows")
            now = datetime.now(UTC).isoformat()
            customer = event["data"]["customer"]
            with _connect(self.store) as db:
                db.execute(
                    "INSERT INTO requests (system, received_at, idempotency_key, verified,"
                    " outcome, status, event) VALUES (?, ?, ?, 1, ?, 200, ?)",
                    (path, now, key, outcome, body.decode()),
                )
                if outcome == "applied":
                    record = self.records[path].customers[customer]
                    db.execute(
                        "INSERT OR REPLACE INTO records (system, customer, record, updated_at)"
                        " VALUES (?, ?, ?, ?)",
                        (path, customer, record_dump(record), now),
                    )
        print(
            f"{path} {event.get('ticket')} {customer} sequence {event.get('sequence')}:"
            f" signature verified, {outcome}",
            flush=True,
        )
        return 200, outcome

    def _refuse(
        self, path: str, key: str, status: int, why: str, *, verified: bool = False
    ) -> tuple[int, str]:
        # The body of a request that failed verification is not kept: anyone could send it.
        with self.lock, _connect(self.store) as db:
            db.execute(
                "INSERT INTO requests (system, received_at, idempotency_key, verified, outcome,"
                " status, event) VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (path, datetime.now(UTC).isoformat(), key, int(verified), why, status),
            )
        print(f"{path}: refused ({why}), answered {status}", flush=True)
        return status, why


def handler_for(systems: Systems) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "ProfileDeskDemoReceiver/1"

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                self._answer(413 if length > MAX_BODY else 400, "bad length")
                return
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, outcome = systems.receive(path=self.path, headers=headers, body=body)
            self._answer(status, outcome)

        def _answer(self, status: int, outcome: str) -> None:
            payload = json.dumps({"outcome": outcome}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line a request is printed by Systems, without the request line

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A peer that hung up, or a request that broke the handler: one line, no traceback
        # (whose locals could carry a body).
        error = sys.exc_info()[1]
        print(f"a request failed ({type(error).__name__})", flush=True)


def serve(*, port: int, store: Path, systems: dict[str, dict]) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1:`port` (0: any free port); call serve_forever()."""
    handler = handler_for(Systems(store=store, systems=systems))
    server = _Server(("127.0.0.1", port), handler)
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", type=Path, required=True)
    args = parser.parse_args(argv)
    # {"/northwind/crm": {"client": "northwind", "name": "Demo CRM", "secret": "…"}, …}
    systems = json.loads(sys.stdin.read() or "{}")
    server = serve(port=args.port, store=args.store, systems=systems)
    names = ", ".join(f"{path} ({s['name']})" for path, s in systems.items()) or "none"
    print(f"Demo receiver on http://127.0.0.1:{args.port}: {names}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
