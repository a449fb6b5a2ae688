"""`make scan`: wapiti and sqlmap against the desk on 127.0.0.1, signed in as an agent and
as a supervisor. Run through tests/with_services.sh (a throwaway PostgreSQL and Redis).

The desk runs as production runs it: production settings (DEBUG off, secure cookies,
HSTS, SSL redirect), gunicorn with profiledesk/gunicorn_conf.py, static files collected,
here with a throwaway self-signed certificate so that the secure cookies and the CSRF
referer checks work as they do behind the TLS proxy. Both tools come from .venv-scan
(tests/scan/requirements.txt). Reports go to var/scan/; the exit status is 1 if either
tool reports a finding or the desk answered a 500. Nothing leaves 127.0.0.1: wapiti's
modules that call out (ssrf, log4shell, wapp) are not loaded, nor `ssl` (the throwaway
certificate's own findings would mean nothing: production TLS ends at the proxy).
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from base64 import b32decode
from pathlib import Path

import requests
from django_otp.oath import totp

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "scan"
TOOLS = ROOT / ".venv-scan" / "bin"
CERT = str(OUT / "cert.pem")  # the throwaway certificate: our own requests verify it
PASSWORD = "profiledesk-demo-2024"
# Seconds each role's wapiti crawl and attacks may take, and each attack module.
WAPITI_SECONDS = int(os.environ.get("SCAN_WAPITI_SECONDS", "300"))
WAPITI_MODULE_SECONDS = int(os.environ.get("SCAN_WAPITI_MODULE_SECONDS", "60"))
WAPITI_MODULES = "common,-ssrf,-ssl,csrf,crlf,methods"
SQLMAP_LEVEL = os.environ.get("SCAN_SQLMAP_LEVEL", "2")
SQLMAP_RISK = os.environ.get("SCAN_SQLMAP_RISK", "2")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env() -> dict[str, str]:
    for name in ("DATABASE_URL", "REDIS_URL"):
        if name not in os.environ:
            sys.exit(f"{name} is not set: run through tests/with_services.sh")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEMO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="profiledesk.settings.base",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(OUT / "static"),
        PRIVATE_MEDIA_ROOT=str(OUT / "private"),
        DESK_PUBLIC_URL="https://127.0.0.1",
        CONNECTOR_ALLOW_HTTP="0",
        # The API's rate limits (tests/api/test_throttling.py) would only slow sqlmap down.
        API_RATE_CREATE="100000/min",
        API_RATE_READ="100000/min",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(env: dict[str, str], *args: str, **extra: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**env, **extra},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


SCAN_DATA = """
import json
from profiledesk.accounts.models import User
from profiledesk.customers.models import Customer, EmailAddress
email = EmailAddress.objects.filter(customer__client__slug="northwind").order_by("pk").first()
print(json.dumps({
    "customer_id": email.customer_id,
    "customer_number": email.customer.number,
    "email": email.email,
    "agent_id": User.objects.get(username="northwind.agent").pk,
    "client_id": email.customer.client_id,
}))
"""


def _sign_in(base: str, username: str, secret: str) -> str:
    """Signs in through the desk's own views (password, then TOTP); the Cookie header."""
    for _ in range(2):  # a code is good once: a second sign-in may wait for the next one
        http = requests.Session()
        http.get(f"{base}/accounts/login/", timeout=30, verify=CERT)
        for path, data in (
            ("/accounts/login/", {"username": username, "password": PASSWORD}),
            ("/accounts/otp/", {"token": f"{totp(b32decode(secret)):06d}"}),
        ):
            data["csrfmiddlewaretoken"] = http.cookies["csrftoken"]
            response = http.post(
                base + path, data=data, headers={"Referer": base + path}, timeout=30, verify=CERT
            )
        if response.url.rstrip("/").endswith("/tickets"):
            return "; ".join(f"{c.name}={c.value}" for c in http.cookies)
        time.sleep(31 - time.time() % 30)
    sys.exit(f"{username} could not sign in ({response.url})")


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _run(name: str, command: list[str], seconds: int) -> str:
    _say(f"scan: {name}…")
    started = time.monotonic()
    with open(OUT / f"{name}.log", "w") as log:
        result = subprocess.run(  # noqa: S603 - the tools of .venv-scan, fixed arguments
            command, stdout=log, stderr=subprocess.STDOUT, timeout=seconds, check=False
        )
    _say(f"scan: {name} done in {time.monotonic() - started:.0f} s (exit {result.returncode})")
    return (OUT / f"{name}.log").read_text(errors="replace")


def _wapiti(base: str, role: str, cookie: str) -> list[str]:
    report = OUT / f"wapiti-{role}.json"
    _run(
        f"wapiti-{role}",
        [
            str(TOOLS / "wapiti"),
            "-u",
            f"{base}/",
            "--scope",
            "folder",
            "-C",
            cookie,
            "-H",
            f"Referer: {base}/",  # Django's CSRF check over HTTPS wants a same-origin referer
            "-m",
            WAPITI_MODULES,
            # Its out-of-band endpoints on the desk itself: no lookup of wapiti3.ovh.
            "--endpoint",
            f"{base}/",
            "--dns-endpoint",
            "127.0.0.1",
            "-x",
            f"{base}/accounts/logout/",
            "-x",
            f"{base}/accounts/sessions/end-others/",
            "--flush-session",
            "--store-session",
            str(OUT / "wapiti-session"),
            "--store-config",
            str(OUT / "wapiti-config"),
            "--max-scan-time",
            str(WAPITI_SECONDS),
            "--max-attack-time",
            str(WAPITI_MODULE_SECONDS),
            "--max-links-per-page",
            "40",
            "--max-files-per-dir",
            "10",
            "--tasks",
            "4",
            "-v",
            "1",
            "--no-bugreport",
            "-f",
            "json",
            "-o",
            str(report),
        ],
        WAPITI_SECONDS * 3 + 600,
    )
    if not report.exists():
        return [f"wapiti ({role}) wrote no report: see var/scan/wapiti-{role}.log"]
    data = json.loads(report.read_text())
    findings = []
    for section in ("vulnerabilities", "anomalies"):
        for category, items in data.get(section, {}).items():
            for item in items:
                findings.append(
                    f"wapiti ({role}) {category}: {item.get('info', '')[:200]}"
                    f" [{item.get('method', '')} {item.get('path', '')}]"
                )
    return findings


def _sqlmap(name: str, url: str, *options: str) -> list[str]:
    output = _run(
        f"sqlmap-{name}",
        [
            str(TOOLS / "sqlmap"),
            "-u",
            url,
            *options,
            "--batch",
            "--level",
            SQLMAP_LEVEL,
            "--risk",
            SQLMAP_RISK,
            "--flush-session",
            "--output-dir",
            str(OUT / "sqlmap"),
            "--disable-coloring",
            "--threads",
            "2",
            "--timeout",
            "30",
        ],
        3600,
    )
    if "identified the following injection point" in output or "is vulnerable" in output:
        return [f"sqlmap ({name}): an injection point, see var/scan/sqlmap-{name}.log"]
    if "do not appear to be injectable" not in output and "not injectable" not in output:
        return [f"sqlmap ({name}) did not finish: see var/scan/sqlmap-{name}.log"]
    return []


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server on the way out
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    env = _env()
    started = time.monotonic()
    _say("scan: migrating, seeding the demo data, collecting static files…")
    _manage(env, "migrate", "--noinput", "-v0")
    logins_file = OUT / "logins.txt"
    _manage(env, "seed_demo", "--customers", "60", "--logins-file", str(logins_file), DEMO_MODE="1")
    _manage(env, "collectstatic", "--noinput", "-v0")
    api_key = _manage(env, "create_api_key", "northwind", "--name", "scan").strip()
    data = json.loads(_manage(env, "shell", "-v0", "-c", SCAN_DATA).strip().splitlines()[-1])
    totp_secrets = dict(
        re.findall(r"^(\w+\.\w+)\s.*?([A-Z2-7]{32})\s*$", logins_file.read_text(), re.M)
    )
    subprocess.run(  # noqa: S603 - fixed arguments: a throwaway certificate for 127.0.0.1
        [
            shutil.which("openssl") or "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(OUT / "key.pem"),
            "-out",
            CERT,
        ],
        capture_output=True,
        check=True,
    )
    port = _free_port()
    base = f"https://127.0.0.1:{port}"
    server_log = open(OUT / "gunicorn.log", "w")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            "python:profiledesk.gunicorn_conf",
            "--no-control-socket",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--timeout",
            "60",
            "--certfile",
            CERT,
            "--keyfile",
            str(OUT / "key.pem"),
            "profiledesk.wsgi",
        ],
        env=env,
        cwd=ROOT,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    findings: list[str] = []
    try:
        for _ in range(120):
            try:
                requests.get(f"{base}/accounts/login/", verify=CERT, timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            sys.exit("the desk did not start: see var/scan/gunicorn.log")
        for role in ("agent", "supervisor"):
            username = f"northwind.{role}"
            cookie = _sign_in(base, username, totp_secrets[username])
            findings += _wapiti(base, role, cookie)
        # sqlmap, each target with a fresh session (wapiti may have ended the last one).
        cookie = _sign_in(base, "northwind.supervisor", totp_secrets["northwind.supervisor"])
        session = ("--cookie", cookie, "--referer", f"{base}/")
        history = f"{base}/audit/customers/{data['customer_id']}/history/"
        findings += _sqlmap(
            "queue",
            f"{base}/tickets/?state=verifying&channel=phone&category=contact&risk=low"
            f"&client={data['client_id']}&assignee=me",
            *session,
        )
        findings += _sqlmap("customer-search", f"{base}/customers/?q=Smith", *session)
        findings += _sqlmap(
            "history",
            f"{history}?category=contact&staff={data['agent_id']}"
            "&date_from=2020-01-01&date_to=2030-12-31",
            *session,
        )
        body = json.dumps(
            {
                "customer": data["customer_number"],
                "category": "contact",
                "channel": "app",
                # The e-mail the profile already holds: "nothing to change", rolled back, so
                # the one Idempotency-Key is never stored and every payload is parsed again.
                "changes": {"email": data["email"]},
                "summary": "scan",
            }
        )
        # The base request sqlmap varies: its answer is the reason, nothing stored.
        base_answer = requests.post(
            f"{base}/api/v1/change-requests/",
            data=body,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Idempotency-Key": "sqlmap-scan",
                "Content-Type": "application/json",
            },
            timeout=30,
            verify=CERT,
        )
        (OUT / "api-base-answer.txt").write_text(f"{base_answer.status_code} {base_answer.text}")
        findings += _sqlmap(
            "api",
            f"{base}/api/v1/change-requests/",
            "--data",
            body,
            "--headers",
            f"Authorization: Bearer {api_key}\nIdempotency-Key: sqlmap-scan\n"
            "Content-Type: application/json",
        )
        findings += _sqlmap(
            "api-status",
            f"{base}/api/v1/change-requests/PD-000001*/",
            "--headers",
            f"Authorization: Bearer {api_key}",
        )
    finally:
        server.terminate()
        server.wait(30)
        server_log.close()
    log = (OUT / "gunicorn.log").read_text(errors="replace")
    errors = len(re.findall(r'" 50\d ', log))
    if errors:
        findings.append(f"the desk answered {errors} 5xx (var/scan/gunicorn.log)")
    summary = [
        f"ProfileDesk scan of {base}: {len(findings)} finding(s) in "
        f"{(time.monotonic() - started) / 60:.1f} min",
        *findings,
    ]
    (OUT / "summary.txt").write_text("\n".join(summary) + "\n")
    _say("\n".join(summary))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
