import pytest

from profiledesk.dashboards import registry
from tests.dashboards.helpers import day_panel, hostile_panel, line_panel


@pytest.fixture
def own_panels(monkeypatch):
    """The dashboards with the tests' panels after the now panels (restored after)."""
    monkeypatch.setattr(registry, "SUPERVISOR", [*registry.SUPERVISOR, day_panel, line_panel])
    monkeypatch.setattr(
        registry, "COMPLIANCE", [*registry.SUPERVISOR, day_panel, line_panel, hostile_panel]
    )
