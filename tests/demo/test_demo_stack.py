"""The embedded demo as `make run` starts it (run_demo: Redis, a Celery worker, beat and
the web server on one SQLite file), driven over HTTP.

An attacker who reads the demo's console or var/*.log must find no live "this wasn't me"
token, no card number typed into a search and no one-time code; and web, worker and beat
writing at once (beat's sweeps every second) must never answer a 500 or log "database is
locked". One stack is started for the module (about 40 s): the journey runs, the
processes stop, and each test below asserts one thing over their whole output.
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
        _journey(Desk(base, run, "northwind.agent", secrets["northwind.agent"]), run)
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


def test_no_card_number_in_any_output(demo_run):
    for name, text in demo_run.output.items():
        assert redact(text) == text, f"a card number (or token) left in {name}"
        assert CARD not in text and "4111%201111" not in text and "4111+1111" not in text, name


def test_no_one_time_code_in_any_output(demo_run):
    for name, text in demo_run.output.items():
        assert not re.search(rf"(?<!\d){demo_run.otp_code}(?!\d)", text), f"the OTP in {name}"


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
