"""The two demo clients and their staff: one person a role a client, each with the
shared demo password and a TOTP device whose secret comes from the username.

A deterministic secret means a newcomer's authenticator app keeps working after the
demo database is rebuilt. It is acceptable only because none of this exists outside
demo mode (see mode.py): these accounts are as public as the password in the README.
"""

import base64
import hashlib
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from profiledesk.accounts.models import User
from profiledesk.accounts.roles import Role
from profiledesk.clients.models import Client, Membership
from profiledesk.policies.defaults import policies_ensure_defaults

DEMO_PASSWORD = "profiledesk-demo-2024"
TOTP_DEVICE_NAME = "Demo authenticator"


@dataclass(frozen=True)
class DemoClient:
    slug: str
    name: str
    customer_prefix: str
    country: str
    time_zone: str
    # The staff of this client, by role: (first name, last name).
    people: dict[Role, tuple[str, str]]
    # The customer portal's colour (a light one gets black text: portal/branding.py).
    brand_colour: str = "#1f4e79"


DEMO_CLIENTS = (
    DemoClient(
        slug="northwind",
        name="Northwind Energy",
        customer_prefix="NWE",
        country="GB",
        time_zone="Europe/London",
        people={
            Role.AGENT: ("Amelia", "Clarke"),
            Role.SUPERVISOR: ("Daniel", "Okafor"),
            Role.COMPLIANCE: ("Priya", "Raman"),
            Role.SECURITY: ("Tom", "Whitfield"),
            Role.DESK_ADMIN: ("Hannah", "Morgan"),
        },
    ),
    DemoClient(
        slug="solaris",
        name="Solaris Telecom",
        customer_prefix="SOL",
        country="ES",
        time_zone="Europe/Madrid",
        people={
            Role.AGENT: ("Lucía", "Fernández"),
            Role.SUPERVISOR: ("Javier", "Moreno"),
            Role.COMPLIANCE: ("Marta", "Iglesias"),
            Role.SECURITY: ("Pablo", "Navarro"),
            Role.DESK_ADMIN: ("Elena", "Castro"),
        },
        brand_colour="#f2a900",
    ),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    client: Client
    user: User
    totp_secret: str  # base32, as an authenticator app takes it


def demo_username(client: DemoClient, role: Role) -> str:
    return f"{client.slug}.{role.value}"


def totp_key(username: str) -> str:
    """The device key (hex, 20 bytes) of a demo user: the same on every run."""
    return hashlib.sha256(f"profiledesk-demo-totp:{username}".encode()).hexdigest()[:40]


def totp_secret_base32(key_hex: str) -> str:
    return base64.b32encode(bytes.fromhex(key_hex)).decode()


def client_ensure(spec: DemoClient) -> Client:
    client, _ = Client.objects.get_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "customer_prefix": spec.customer_prefix,
            "country": spec.country,
            "time_zone": spec.time_zone,
            "brand_colour": spec.brand_colour,
        },
    )
    policies_ensure_defaults(client=client)
    return client


def _role_groups() -> dict[Role, Group]:
    groups = {group.name: group for group in Group.objects.filter(name__in=[r.value for r in Role])}
    missing = [role.value for role in Role if role.value not in groups]
    if missing:
        raise CommandError(
            f"The role groups {', '.join(missing)} do not exist: run `manage.py migrate` first."
        )
    return {role: groups[role.value] for role in Role}


def staff_ensure(clients: dict[str, Client]) -> list[DemoLogin]:
    """Create what is missing; leave existing demo accounts as they are (no new history)."""
    groups = _role_groups()
    password_hash = None  # one slow hash a run, shared by the accounts created in it
    logins = []
    for spec in DEMO_CLIENTS:
        client = clients[spec.slug]
        for role, (first_name, last_name) in spec.people.items():
            username = demo_username(spec, role)
            user = User.objects.filter(username=username).first()
            if user is None:
                password_hash = password_hash or make_password(DEMO_PASSWORD)
                user = User.objects.create(
                    username=username,
                    first_name=first_name,
                    last_name=last_name,
                    email=f"{username}@bpo.example",
                    password=password_hash,
                    is_staff=role == Role.DESK_ADMIN,
                )
            user.groups.add(groups[role])
            Membership.objects.get_or_create(user=user, client=client)
            key = totp_key(username)
            device, created = TOTPDevice.objects.get_or_create(
                user=user, name=TOTP_DEVICE_NAME, defaults={"key": key, "confirmed": True}
            )
            if not created and (device.key != key or not device.confirmed):
                device.key, device.confirmed = key, True
                device.save(update_fields=["key", "confirmed"])
            logins.append(DemoLogin(username, role, client, user, totp_secret_base32(key)))
    return logins


def demo_totp_command(username: str) -> str:
    """The shell command, as typed in the checkout `make run` runs in, that prints
    `username`'s current code: this Python, the demo settings and this demo's var/."""
    base = Path(settings.BASE_DIR)
    python = Path(sys.executable)
    if python.is_relative_to(base):
        python = python.relative_to(base)
    env = ["DJANGO_SETTINGS_MODULE=profiledesk.settings.demo"]
    var = Path(getattr(settings, "DEMO_VAR_DIR", base / "var"))
    if var.resolve() != (base / "var").resolve():
        env.append(f"DEMO_VAR_DIR={shlex.quote(str(var))}")
    return " ".join([*env, shlex.quote(str(python)), "manage.py", "demo_totp", username])


def logins_text(logins: list[DemoLogin], *, questions: tuple[tuple[str, str], ...]) -> str:
    example = logins[0].username if logins else "northwind.agent"
    lines = [
        "ProfileDesk demo logins (demo mode only; never use these anywhere else)",
        "",
        f"Password for every account: {DEMO_PASSWORD}",
        "Second factor: add the TOTP secret to an authenticator app, or run (any username",
        "below in place of the last word):",
        f"  {demo_totp_command(example)}",
        "",
        f"{'username':<24} {'role':<12} {'client':<18} TOTP secret (base32)",
    ]
    lines += [
        f"{login.username:<24} {login.role.value:<12} {login.client.name:<18} {login.totp_secret}"
        for login in logins
    ]
    lines += ["", "Every demo customer's security answers:"]
    lines += [f"  {question} {answer}" for question, answer in questions]
    return "\n".join(lines) + "\n"


def logins_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)  # passwords and TOTP secrets, even demo ones, are not for everyone
