"""The red team's fixtures: the takeover desk's codes recorder (tests/approvals)."""

from tests.approvals.conftest import codes  # noqa: F401
