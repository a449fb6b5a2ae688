"""The layers of docs/architecture.md are checked by import-linter (`.importlinter`, run
by `make lint`), and an upward import hidden inside a function breaks them as surely as
one at module top: each test plants one in a copy of the code and runs `lint-imports`."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("profiledesk", "verification", "audit")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the project's Python packages and the contract."""
    copy = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            copy / package,
            ignore=shutil.ignore_patterns("__pycache__", "migrations", "*.html", "*.txt"),
        )
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    return copy


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - the venv's lint-imports, fixed arguments
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def planted(tree: Path, module: str, line: str, tmp_path: Path) -> Path:
    """A copy of `tree` whose `module` ends with a function importing `line`."""
    copy = tmp_path / "planted"
    shutil.copytree(tree, copy)
    path = copy / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n\ndef _planted():\n    {line}\n")
    return copy


def test_the_code_keeps_every_layer_contract(tree):
    result = lint_imports(tree)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # The state machine reaching up to a step, inside a function (issue 13's finding).
        (
            "profiledesk.tickets.states",
            "from profiledesk.approvals.rules import cooling_off",
            "tickets imports no step",
        ),
        # A transport calling the step that listens to it instead of announcing.
        (
            "profiledesk.messaging.services",
            "from profiledesk.confirmations.services import ticket_close_if_done",
            "transports import no step",
        ),
        # The profile of record reaching up to the tickets that change it.
        (
            "profiledesk.customers.selectors",
            "from profiledesk.tickets.models import Ticket",
            "Layers point down",
        ),
        # Within an app: a model reaching up to the service that writes it.
        (
            "profiledesk.tickets.models",
            "from profiledesk.tickets.services import ticket_create",
            "Within each app",
        ),
        # A foundation reaching up to a capability.
        (
            "audit.services",
            "from profiledesk.customers.models import Customer",
            "Layers point down",
        ),
    ],
)
def test_an_upward_import_inside_a_function_breaks_the_contract(
    tree, tmp_path, module, line, broken
):
    result = lint_imports(planted(tree, module, line, tmp_path))

    assert result.returncode != 0, result.stdout
    assert broken in result.stdout
    assert "BROKEN" in result.stdout
    # The report names the planted import itself.
    assert module in result.stdout, result.stdout


def test_a_downward_import_inside_a_function_keeps_the_contract(tree, tmp_path):
    result = lint_imports(
        planted(
            tree, "profiledesk.tickets.states", "from profiledesk.customers import models", tmp_path
        )
    )

    assert result.returncode == 0, result.stdout + result.stderr
