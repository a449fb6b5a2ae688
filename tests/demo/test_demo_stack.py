"""The embedded demo as `make run` starts it (run_demo: Redis, a Celery worker, beat and
the web server on one SQLite file), driven over HTTP.

An attacker who reads the demo's console or var/*.log must find no live "this wasn't me"
token, no card number typed into a search, no one-time code and no connector's signing
secret; and web, worker and beat writing at once (beat's sweeps every second) must never
answer a 500 or log "database is locked". A change the agent applies reaches the demo
receiver (the client's CRM), signed, verified, and updates its record. One stack is
started for the module (about 60 s): the journeys run, the processes stop, and each test
below asserts one thing over their whole output.
"""

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from django_otp.oath import totp

from profiledesk.privacy.logging import redact

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "profiledesk-demo-2024"
CARD = "4111111111111111"
SEARCHES = [CARD, "4111%201111%201111%201111", "4111+1111+1111+1111", "4111-1111-1111-1111"]
WRITE_SECONDS = 15

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="the demo starts its own redis-server"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Run:
    var: Path
    report_token: str = ""
    otp_code: str = ""
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    writes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    output: dict[str, str] = field(default_factory=dict)  # file name -> text
    env: dict[str, str] = field(default_factory=dict)
    base: str = ""
    applied: str = ""  # the reference of the ticket the agent applied
    new_language: str = ""
    receiver_page: str = ""  # the demo receiver's page of its CRM delivery
    signing_secrets: list[str] = field(default_factory=list)


class Desk:
    """One signed-in staff member's browser, as far as HTTP goes."""

    def __init__(self, base: str, run: Run, username: str, secret: str):
        self.base, self.run = base, run
        self.http = requests.Session()
        self.http.get(f"{base}/accounts/login/", timeout=30)
        self.post("/accounts/login/", username=username, password=PASSWORD)
        code = f"{totp(base64.b32decode(secret)):06d}"
        response = self.post("/accounts/otp/", token=code)
        assert response.url.rstrip("/").endswith("/tickets"), f"{username} not signed in"

    def _note(self, method: str, path: str, response: requests.Response) -> None:
        self.run.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.run.failures.append(f"{method} {path}: {response.status_code}")

    def get(self, path: str) -> requests.Response:
        response = self.http.get(self.base + path, timeout=60)
        self._note("GET", path, response)
        return response

    def post(self, path: str, **data) -> requests.Response:
        data["csrfmiddlewaretoken"] = self.http.cookies["csrftoken"]
        response = self.http.post(
            self.base + path, data=data, headers={"Referer": self.base + path}, timeout=60
        )
        self._note("POST", path, response)
        return response


def _sink_texts(var: Path) -> list[str]:
    return [p.read_text(errors="replace") for d in ("mail", "sms") for p in (var / d).glob("*")]


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _journey(desk: Desk, run: Run) -> None:
    for query in SEARCHES:
        assert desk.get(f"/customers/?q={query}").status_code == 200
    # A real, unused link from a confirmation the seed sent: the desk answers its page.
    tokens = {
        t for text in _sink_texts(run.var) for t in re.findall(r"/confirm/report/([\w:-]+)", text)
    }
    run.report_token = sorted(tokens)[0]
    assert desk.get(f"/confirm/report/{run.report_token}").status_code == 200
    desk.post(f"/confirm/report/{run.report_token}")  # the customer confirms: logged too
    # A one-time code to the customer (through the worker and the SMS sink), then checked.
    queue = desk.get("/tickets/?state=verifying").text
    reference = sorted(set(re.findall(r"/tickets/(PD-\d+)/", queue)))[0]
    panel = desk.get(f"/verification/{reference}/").text
    contact = next(c for c in re.findall(r'name="contact" value="([^"]+)"', panel) if "phone" in c)
    before = set((run.var / "sms").glob("*"))
    panel = desk.post(f"/verification/{reference}/otp/send/", contact=contact).text
    sent = _wait(lambda: set((run.var / "sms").glob("*")) - before, 20, "the code's SMS")
    text = json.loads(next(iter(sent)).read_text())["text"]
    run.otp_code = re.search(r"\b(\d{6})\b", text).group(1)
    challenge = re.search(r'name="challenge" value="(\d+)"', panel).group(1)
    desk.post(f"/verification/{reference}/otp/check/", challenge=challenge, code=run.otp_code)
    desk.post(f"/tickets/{reference}/comment/", body=f"caller read out {CARD} by mistake")


def _apply_journey(desk: Desk, run: Run) -> None:
    """A newcomer's change, over HTTP as the floor makes it: open a language change for a
    customer, claim it, verify the caller with a code (AL1), mark verified, apply; then
    follow the delivery panel's link to what the client's CRM received."""
    queue = desk.get("/tickets/?state=new").text
    reference = sorted(set(re.findall(r"/tickets/(PD-\d+)/", queue)))[0]
    customer_id = re.search(r"/customers/(\d+)/", desk.get(f"/tickets/{reference}/").text)[1]
    new = f"/tickets/new/{customer_id}/"
    start = {"channel": "phone", "category": "language_region", "summary": "Demo receiver"}
    form = desk.get(f"{new}?channel=phone&category=language_region").text
    current = re.search(r'<option value="(\w+)" selected', form)
    run.new_language = "fr" if current is None or current[1] != "fr" else "de"
    opened = desk.post(new, **start, language=run.new_language)
    run.applied = re.search(r"/tickets/(PD-\d+)/", opened.url)[1]
    ref = run.applied
    desk.post(f"/tickets/{ref}/claim/")
    desk.post(f"/tickets/{ref}/move/", to="verifying", reason="")
    panel = desk.get(f"/verification/{ref}/").text
    contact = re.findall(r'name="contact" value="([^"]+)"', panel)[0]
    before = set((run.var / "sms").glob("*")) | set((run.var / "mail").glob("*"))
    panel = desk.post(f"/verification/{ref}/otp/send/", contact=contact).text

    def _sent():
        return (set((run.var / "sms").glob("*")) | set((run.var / "mail").glob("*"))) - before

    sent = next(iter(_wait(_sent, 20, "the code's message")))
    code = re.search(r"\b(\d{6})\b", sent.read_text(errors="replace"))[1]
    challenge = re.search(r'name="challenge" value="(\d+)"', panel)[1]
    desk.post(f"/verification/{ref}/otp/check/", challenge=challenge, code=code)
    desk.post(f"/verification/{ref}/complete/")
    desk.post(f"/apply/{ref}/")
    receiver_log = run.var / "receiver.log"
    _wait(
        lambda: receiver_log.exists() and f" {ref} " in receiver_log.read_text(),
        60,
        f"{ref}'s event at the demo receiver",
    )
    ticket = desk.get(f"/tickets/{ref}/").text
    link = re.search(r'href="(/demo/receiver/deliveries/\d+/)"', ticket)
    assert link, f"no link to the receiver on {ref}"
    run.receiver_page = desk.get(link[1]).text


def _writer(desk: Desk, run: Run, references: list[str], answers: dict[str, str], stop) -> None:
    """Comments and security answers, as fast as the desk answers, until `stop`."""
    i = 0
    while not stop.is_set():
        reference = references[i % len(references)]
        i += 1
        try:
            desk.post(f"/tickets/{reference}/comment/", body=f"call note {i}")
            panel = desk.get(f"/verification/{reference}/").text
            fields = re.findall(r'<label[^>]*for="id_(answer_\d+)"[^>]*>([^<]*)<', panel)
            if fields:
                data = {name: answers.get(q.replace("&#x27;", "'"), "?") for name, q in fields}
                desk.post(f"/verification/{reference}/questions/", **data)
        except requests.RequestException as error:  # a hung or dropped request is a failure
            run.failures.append(f"{reference}: {error!r}")
        with run.lock:
            run.writes += 1


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Run:
    var = tmp_path_factory.mktemp("demo-var")
    run = Run(var=var)
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(var)),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "profiledesk.settings.demo",
        "DEMO_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'demo.sqlite3'}",
        # run_demo starts a Redis of its own there (nothing answers on a fresh port).
        "REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0",
        "DEMO_BEAT_SECONDS": "1",  # every sweep and purge, each second
        "PORT": str(port),  # `PORT=… make run`: the seed's links follow it too
        "DEMO_RECEIVER_PORT": str(_free_port()),  # the demo's CRM and billing systems
    }
    run.env = env
    manage = [sys.executable, str(ROOT / "manage.py")]
    for step in (["migrate", "--noinput", "-v0"], ["seed_demo", "--customers", "20"]):
        with open(var / "setup.log", "ab") as log:
            subprocess.run(  # noqa: S603 - our own manage.py
                [*manage, *step], env=env, cwd=ROOT, stdout=log, stderr=log, check=True
            )
    out, err = open(var / "run.out", "wb"), open(var / "run.err", "wb")  # noqa: SIM115
    demo = subprocess.Popen(  # noqa: S603 - our own manage.py
        [*manage, "run_demo", "--port", str(port)], env=env, cwd=ROOT, stdout=out, stderr=err
    )
    base = run.base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _answers(f"{base}/healthz"), 40, "the demo's web server")
        logins = (var / "demo-logins.txt").read_text()
        secrets = dict(re.findall(r"^(\w+\.\w+)\s.*?([A-Z2-7]{32})\s*$", logins, re.M))
        answers = dict(re.findall(r"^\s+(.+\?) (.+)$", logins, re.M))
        agent = Desk(base, run, "northwind.agent", secrets["northwind.agent"])
        _journey(agent, run)
        _apply_journey(agent, run)
        # Concurrent writers on each client's tickets while beat's sweeps run.
        stop = threading.Event()
        threads = []
        for username in ("northwind.supervisor", "solaris.agent", "solaris.supervisor"):
            desk = Desk(base, run, username, secrets[username])
            queue = desk.get("/tickets/?state=verifying").text
            references = sorted(set(re.findall(r"/tickets/(PD-\d+)/", queue)))[:4]
            threads.append(
                threading.Thread(target=_writer, args=(desk, run, references, answers, stop))
            )
        for thread in threads:
            thread.start()
        time.sleep(WRITE_SECONDS)
        stop.set()
        for thread in threads:
            thread.join(60)
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(30)
        except subprocess.TimeoutExpired:
            demo.kill()
        out.close()
        err.close()
    # The connectors' signing secrets, read by the desk itself (never from an output).
    shell = "from profiledesk.connectors.models import Connector as C\n"
    shell += "for c in C.objects.all(): print(c.secret())"
    listed = subprocess.run(  # noqa: S603 - our own manage.py
        [*manage, "shell", "-c", shell], env=env, cwd=ROOT, capture_output=True, check=True
    )
    # Whatever else the shell prints (a count) is not a secret: the admin asks 24+ chars.
    run.signing_secrets = [w for w in listed.stdout.decode().split() if len(w) >= 24]
    for path in var.glob("*.log"):
        run.output[path.name] = path.read_text(errors="replace")
    for name in ("run.out", "run.err"):
        run.output[name] = (var / name).read_text(errors="replace")
    return run


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code in (200, 503)
    except requests.RequestException:
        return False


def test_the_demo_logged_the_journey_it_was_driven_through(demo_run):
    """The scans below mean something only if the lines they scan were written."""
    web = demo_run.output["run.err"]
    assert "GET /customers/?q=" in web and "/confirm/report/" in web
    assert "messaging.send_message" in demo_run.output["worker.log"]  # the code's SMS
    assert demo_run.report_token and demo_run.otp_code


def test_no_report_link_token_in_any_output(demo_run):
    for name, text in demo_run.output.items():
        assert demo_run.report_token not in text, f"a live report token in {name}"
        assert "/confirm/report/[redacted]" in text or "/confirm/report/" not in text, name


# Celery prints its start-up banner (platform, date and time, configuration) straight to
# stdout, before logging starts: no desk data is in it, and "glibc2.36 2026-12-05 11:11"
# is, on some days and hours, a Luhn-valid run of digits the redaction would hide.
_CELERY_BANNER = re.compile(r"\A.*?(?=^\[\d{4}-\d\d-\d\d )", re.DOTALL | re.MULTILINE)


def _written_by_the_desk(name: str, text: str) -> str:
    if name in ("worker.log", "beat.log"):
        return _CELERY_BANNER.sub("", text, count=1)
    return text


def test_celery_banner_is_all_that_is_left_out_of_the_scan():
    logged = "[2026-12-05 11:11:45,1: INFO] 4111 1111 1111 1111\n"
    log = "celery@host v5 glibc2.36 2026-12-05 11:11:43\n[tasks]\n\n" + logged
    assert _written_by_the_desk("worker.log", log) == logged
    assert _written_by_the_desk("run.err", log) == log


def test_no_card_number_in_any_output(demo_run):
    for name, text in demo_run.output.items():
        written = _written_by_the_desk(name, text)
        assert redact(written) == written, f"a card number (or token) left in {name}"
        assert CARD not in text and "4111%201111" not in text and "4111+1111" not in text, name


def test_no_one_time_code_in_any_output(demo_run):
    for name, text in demo_run.output.items():
        assert not re.search(rf"(?<!\d){demo_run.otp_code}(?!\d)", text), f"the OTP in {name}"


def test_an_applied_change_reaches_the_demo_crm_verified_and_updates_its_record(demo_run):
    log = demo_run.output["receiver.log"]
    line = next(line for line in log.splitlines() if f" {demo_run.applied} " in line)
    assert line.startswith("/northwind/crm ") and line.endswith("signature verified, applied")
    page = demo_run.receiver_page
    assert 'data-testid="signature-verified"' in page
    assert 'data-testid="record-updated"' in page  # the CRM holds the value the event carried
    assert re.search(rf"<td>\s*{demo_run.new_language}\s*<", page), "the value it carried"


def test_no_signing_secret_in_any_output(demo_run):
    assert len(demo_run.signing_secrets) >= 4  # each client's CRM and billing system
    for name, text in demo_run.output.items():
        for secret in demo_run.signing_secrets:
            assert secret not in text, f"a connector's signing secret in {name}"


def test_concurrent_writes_with_sweeps_running_never_fail(demo_run):
    assert demo_run.writes >= 10, "the writers hardly wrote: the test proves nothing"
    assert not demo_run.failures, demo_run.failures[:10]
    assert not [s for s in demo_run.statuses if s >= 500], demo_run.statuses
    sweeps = demo_run.output["worker.log"].count("exports.sweep")
    assert sweeps >= 5, "beat's sweeps did not run during the writes"


def test_no_process_ran_into_a_locked_database(demo_run):
    for name, text in demo_run.output.items():
        assert "database is locked" not in text, name
        assert "Traceback" not in text, f"an exception in {name}"


def test_every_command_the_demo_prints_works_as_printed(demo_run):
    """What `make run` prints, typed into a shell in the checkout (no settings module of
    one's own): each `manage.py` command runs, and demo_totp prints a code."""
    printed = demo_run.output["run.out"]
    commands = [line.strip() for line in printed.splitlines() if " manage.py " in line]
    assert commands, "run_demo printed no command: nothing to check"
    shell_env = {"PATH": demo_run.env["PATH"], "HOME": demo_run.env["HOME"], "LANG": "C.UTF-8"}
    for command in commands:
        done = subprocess.run(  # noqa: S602 - the command as the newcomer types it
            command, shell=True, cwd=ROOT, env=shell_env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{command!r} failed:\n{done.stderr[-2000:]}"
        if "demo_totp" in command:
            assert re.fullmatch(r"\d{6}\n", done.stdout), done.stdout


def test_the_demos_links_lead_to_the_port_it_serves(demo_run):
    links = {
        link
        for text in _sink_texts(demo_run.var)
        for link in re.findall(r"https?://[^\s\"'<>]+/confirm/report/", text)
    }
    assert links, 'no "this wasn\'t me" link was sent: nothing to check'
    assert links == {f"{demo_run.base}/confirm/report/"}
