"""Every action the code records is in `audit.actions`, the audit-events list's filter: an
action missing there could never be filtered for (and a panel could miscount a renamed
one). Found by reading the source: each `audit_record(action=...)` and each helper call
whose first argument or `action=` is a dotted literal."""

import ast
import re
from pathlib import Path

from audit.actions import ACTIONS, EXPORTS, FREEZES, REPORTS, REVEALS, ROLLBACKS, WAIVERS

ROOT = Path(__file__).resolve().parents[2]
ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
# A literal that is an action, passed through a helper (verification's `_audit`, the
# admin's `_audit_staff`, `membership_audit`, approvals' `_audit_decision`).
HELPERS = {
    "audit_record",
    "_audit",
    "_audit_staff",
    "_audit_membership",
    "membership_audit",
    "_audit_decision",
}
# Actions built from a result at run time, spelled out.
BUILT = {
    "verification.questions_{result}": {
        "verification.questions_passed",
        "verification.questions_failed",
    },
    "verification.document_{result}": {
        "verification.document_passed",
        "verification.document_failed",
    },
}


def _literals(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _literals(node.body) | _literals(node.orelse)
    if isinstance(node, ast.JoinedStr):
        return BUILT.get(ast.unparse(node)[2:-1], {"<unknown f-string>"})
    return set()


def recorded_actions() -> set[str]:
    found: set[str] = set()
    for package in ("profiledesk", "audit", "verification"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name not in HELPERS:
                    continue
                candidates = [kw.value for kw in node.keywords if kw.arg == "action"]
                candidates += node.args[:2]
                for candidate in candidates:
                    found |= {a for a in _literals(candidate) if ACTION.match(a) or "<" in a}
    return found


def test_every_recorded_action_is_in_the_catalogue():
    recorded = recorded_actions()

    assert len(recorded) > 40, "the scan found too little: is it still reading the calls?"
    assert recorded - ACTIONS == set(), "add these to audit/actions.py ACTION_GROUPS"
    assert ACTIONS - recorded == set(), "audit/actions.py names actions nothing records"


def test_the_compliance_panels_count_actions_the_code_records():
    recorded = recorded_actions()

    for actions in (REVEALS, ROLLBACKS, WAIVERS, EXPORTS, REPORTS, FREEZES):
        assert set(actions) <= recorded
