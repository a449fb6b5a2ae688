"""The dashboards' historical panels: each a `PanelFunction` (panels.py) reading only the
pre-aggregated daily figures (models.DailyFigure), in the order the page shows them."""

from profiledesk.dashboards.panels import PanelFunction

from .approvals import approval_decisions_by_day, approval_lead_time
from .downstream import confirmations_by_channel, deliveries_by_connector
from .risk import security_escalations, tickets_by_risk, top_risk_reasons
from .sla import sla_by_day, sla_by_dimension
from .straight_through import straight_through_by_day
from .throughput import throughput_by_day, time_to_done
from .verification import lockouts_by_day, verification_by_method

HISTORY_PANELS: list[PanelFunction] = [
    sla_by_day,
    sla_by_dimension,
    throughput_by_day,
    time_to_done,
    straight_through_by_day,
    verification_by_method,
    lockouts_by_day,
    approval_lead_time,
    approval_decisions_by_day,
    tickets_by_risk,
    top_risk_reasons,
    security_escalations,
    deliveries_by_connector,
    confirmations_by_channel,
]

__all__ = ["HISTORY_PANELS"]
