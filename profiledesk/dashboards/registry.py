"""Which panels each dashboard shows, in page order."""

from __future__ import annotations

from .compliance import COMPLIANCE_PANELS
from .figures import HISTORY_PANELS
from .now import NOW_PANELS
from .panels import PanelFunction

SUPERVISOR: list[PanelFunction] = [*NOW_PANELS, *HISTORY_PANELS]
COMPLIANCE: list[PanelFunction] = [*SUPERVISOR, *COMPLIANCE_PANELS]
