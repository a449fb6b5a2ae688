"""Stub on the s5-board branch: the figures helper's module replaces it at merge."""

from profiledesk.dashboards.panels import PanelFunction

HISTORY_PANELS: list[PanelFunction] = []
