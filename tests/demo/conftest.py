import socket

import pytest
from django.core.management import call_command


@pytest.fixture
def demo_mode(settings, tmp_path):
    settings.DEMO_MODE = True
    # The demo receiver's store and port: the test's own, never the developer's var/ or a
    # running demo's receiver.
    settings.DEMO_VAR_DIR = tmp_path
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings.DEMO_RECEIVER_PORT = sock.getsockname()[1]


@pytest.fixture
def logins_file(tmp_path):
    """Where the tests' seed writes its logins: never the developer's var/."""
    return tmp_path / "demo-logins.txt"


@pytest.fixture
def seed(demo_mode, logins_file):
    """Run seed_demo like a newcomer would; returns what it printed."""

    def run(customers: int = 20, **options) -> str:
        from io import StringIO

        out = StringIO()
        call_command(
            "seed_demo", customers=customers, logins_file=logins_file, stdout=out, **options
        )
        return out.getvalue()

    return run
