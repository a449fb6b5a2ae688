"""docs/compliance.md cannot drift: every test it cites exists, every control it claims has
a row, and the README and the architecture page link to it."""

import importlib
import re

import pytest
from django.conf import settings

DOC = settings.BASE_DIR / "docs" / "compliance.md"
# tests/<path>.py::name or ::Class::method, optionally with a parametrize id.
NODE = re.compile(r"`(tests/[\w/]+\.py)((?:::\w+)+)(\[[^\]`]*\])?`")
CONTROLS = [
    "3.3.1",
    "3.4.1",
    "8.2.8",
    "8.3.4",
    "8.3.6",
    "10.2",
    "10.5.1",
    "NIST SP 800-63B",
    "Multi-user approval",
    "Change notifications",
    "Art. 15",
    "Art. 16",
    "Art. 19",
]


def cited_nodes() -> list[tuple[str, list[str]]]:
    return [
        (path, names.strip(":").split("::")) for path, names, _id in NODE.findall(DOC.read_text())
    ]


def node_problem(path: str, names: list[str]) -> str | None:
    """Why `path::names` is not a test the suite collects (None when it is one)."""
    if not (settings.BASE_DIR / path).is_file():
        return "no such file"
    target = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    for name in names:
        target = getattr(target, name, None)
        if target is None:
            return f"no {name}"
    if not (names[-1].startswith("test") and callable(target)):
        return "not a test"
    return None


def test_the_doc_cites_tests():
    assert len(cited_nodes()) >= 40


def test_every_test_the_doc_cites_exists():
    missing = [
        f"{path}::{'::'.join(names)}: {problem}"
        for path, names in cited_nodes()
        if (problem := node_problem(path, names))
    ]
    assert missing == []


def test_a_cited_test_that_does_not_exist_is_caught():
    assert node_problem("tests/audit/test_compliance_doc.py", ["test_nothing_here"])
    assert node_problem("tests/audit/no_such_file.py", ["test_x"])
    assert node_problem("tests/audit/test_compliance_doc.py", ["CONTROLS"]) == "not a test"
    assert node_problem("tests/audit/test_compliance_doc.py", ["test_the_doc_cites_tests"]) is None


@pytest.mark.parametrize("control", CONTROLS)
def test_every_claimed_control_has_a_row(control):
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("|")]
    headings = DOC.read_text()
    assert any(control in row for row in rows) or f"## {control}" in headings


def test_the_readme_and_the_architecture_page_link_to_it():
    for page in ("README.md", "docs/architecture.md"):
        assert "compliance.md" in (settings.BASE_DIR / page).read_text(), page


# --- a control no other module tests -----------------------------------------------------------


@pytest.mark.django_db
def test_the_only_staff_second_factor_is_totp():
    # NIST SP 800-63B rev 4: no e-mail or SMS code signs staff in (docs/design.md §1).
    otp_plugins = [app for app in settings.INSTALLED_APPS if app.startswith("django_otp.plugins")]
    assert otp_plugins == ["django_otp.plugins.otp_totp"]
    from django_otp import devices_for_user

    from tests.conftest import make_staff
    from tests.factories import ClientFactory

    staff = make_staff("factor", "agent", ClientFactory(slug="factor"))
    assert {type(d).__name__ for d in devices_for_user(staff, confirmed=None)} == {"TOTPDevice"}
