"""Transports do not know who listens: messaging and connectors import nothing from the
steps of a ticket (confirmations, apply, approvals, verification, rollback), not at
module top, not inside a function, not by dotted name in a string. They announce
(`message_sent`, `delivery_acknowledged`) and the steps subscribe."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRANSPORTS = ("messaging", "connectors")
STEPS = ("confirmations", "apply", "approvals", "verification", "rollback")
# Identity verification is the top-level `verification` app.
STEP_MODULES = (*(f"profiledesk.{step}" for step in STEPS), "verification")


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, *, package: str | None = None) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in `path`, at any depth, relative ones
    resolved against `package`; plus dotted module names in strings (import_module) and
    the app label given to apps.get_model / get_app_config."""
    tree = ast.parse(path.read_text(), filename=str(path))
    if package is None:
        package = _module_of(path.parent)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.startswith(("profiledesk.", "verification.")):
                found.append((node.lineno, node.value))
        elif isinstance(node, ast.Call) and node.args:
            called = node.func.attr if isinstance(node.func, ast.Attribute) else None
            first = node.args[0]
            if called in ("get_model", "get_app_config") and isinstance(first, ast.Constant):
                found.append((node.lineno, str(first.value).split(".")[0]))
    return found


def is_step(name: str) -> bool:
    return name in STEPS or any(
        name == module or name.startswith(module + ".") for module in STEP_MODULES
    )


def transport_sources() -> list[Path]:
    return sorted(path for app in TRANSPORTS for path in (ROOT / "profiledesk" / app).rglob("*.py"))


def test_the_transports_have_sources_to_check():
    names = {path.relative_to(ROOT).as_posix() for path in transport_sources()}
    assert {"profiledesk/messaging/tasks.py", "profiledesk/connectors/tasks.py"} <= names


@pytest.mark.parametrize("path", transport_sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_transport_module_imports_no_step_of_a_ticket(path):
    offending = [f"line {line}: {name}" for line, name in imported_names(path) if is_step(name)]
    assert offending == [], f"{path.relative_to(ROOT)} reaches up into a ticket step"


def test_the_check_sees_an_import_hidden_inside_a_function(tmp_path):
    hidden = tmp_path / "probe.py"
    hidden.write_text(
        "def later():\n"
        "    from profiledesk.confirmations.services import ticket_close_if_done\n"
        "    from ..apply import services\n"
        "    import_module('profiledesk.rollback.services')\n"
        "    from verification.status import verification_state\n"
        "    return apps.get_model('approvals', 'Approval')\n"
    )
    names = {
        name
        for _line, name in imported_names(hidden, package="profiledesk.messaging")
        if is_step(name)
    }
    assert {
        "profiledesk.confirmations.services",
        "profiledesk.apply",
        "profiledesk.rollback.services",
        "verification.status",
        "approvals",
    } <= names
