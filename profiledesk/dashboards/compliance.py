"""Stub on the s5-board branch: the compliance helper's module replaces it at merge."""

from profiledesk.dashboards.panels import PanelFunction

COMPLIANCE_PANELS: list[PanelFunction] = []
