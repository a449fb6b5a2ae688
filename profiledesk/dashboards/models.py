"""The dashboards' historical figures, pre-aggregated per client and local day.

A `DailyFigure` row is one count (and, where a panel shows medians or a p90, every
duration it counted, in seconds) of one metric, for one client, on one day in the
client's own time zone, split by up to three keys (channel, category, outcome, method,
tier, connector name...). Only names of things the desk defines go in the keys: never a
customer's name, contact or value, nor a staff member's name.

The rows are derived: `build.figures_rebuild` deletes and writes a client's day again
whenever it runs (beat every few minutes for today and yesterday, nightly for the last
week, `manage.py dashboards_rebuild` on demand). The panels (`figures/`) read only this
table, never the tickets: a month of medians from a million raw tickets is too slow for
a page (docs/architecture.md, "Dashboards").
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Metric(models.TextChoices):
    # Day: the local day the ticket was due. Keys: channel, category, outcome (Sla).
    SLA = "sla", _("SLA outcome")
    # Day: the local day the ticket was opened (created_at). Keys: channel, category.
    OPENED = "opened", _("Tickets opened")
    # Day: the local day of the move. Keys: state reached, channel, category. Durations:
    # from intake (created_at) to the move, for applied and closed.
    FINISHED = "finished", _("Tickets finished")
    # Day: the attempt's. Keys: method ("otp_email", "otp_sms", "questions", "document", or
    # a provider's method name), result ("passed" / "failed"), purpose.
    VERIFICATION = "verification", _("Verification attempts")
    # Day: when the lock-out began. No keys.
    LOCKOUT = "lockout", _("Verification lock-outs")
    # Day: the tier's decision. Keys: tier ("1", "2"), outcome ("approved" / "rejected").
    # Durations: from the round's submission to the tier's decision.
    APPROVAL = "approval", _("Approval decisions")
    # Day: opened. Keys: the ticket's risk level now.
    RISK_LEVEL = "risk_level", _("Tickets by risk level")
    # Day: opened. Keys: the rule slug of each reason the ticket holds now.
    RISK_REASON = "risk_reason", _("Risk reasons")
    # Day: the move to escalated. No keys.
    ESCALATED = "escalated", _("Escalations to security")
    # Day: security's decision (the move out of escalated). Keys: the state it went to
    # ("verifying": returned to the flow, "rejected", "closed"). Durations: from the
    # escalation to the decision.
    ESCALATION_OUTCOME = "escalation_outcome", _("Security's decisions")
    # Day: the delivery's creation. Keys: connector name, status. Durations: creation to
    # delivery, for delivered ones.
    DELIVERY = "delivery", _("Deliveries to downstream systems")
    # Day: the confirmation's creation. Keys: channel ("email", "sms", "app"), outcome
    # ("sent", "failed", "gave_up", "pending").
    CONFIRMATION = "confirmation", _("Confirmations")
    # Day: the automatic apply's (profiledesk/automation). Keys: category. Against
    # FINISHED "applied" of the same day: the straight-through rate.
    STRAIGHT_THROUGH = "straight_through", _("Applied automatically")


class DailyFigure(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    # The client's local date (Client.time_zone) of what is counted.
    day = models.DateField()
    metric = models.CharField(max_length=24, choices=Metric.choices)
    key1 = models.CharField(max_length=80, blank=True)
    key2 = models.CharField(max_length=80, blank=True)
    key3 = models.CharField(max_length=80, blank=True)
    count = models.PositiveIntegerField(default=0)
    # Every duration counted, in whole seconds, sorted: medians and p90s over any range
    # are exact (merged from the days' lists), not read off buckets.
    durations = models.JSONField(default=list, blank=True)
    built_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "day", "metric", "key1", "key2", "key3"],
                name="dailyfigure_unique_key",
            )
        ]
        indexes = [
            # What every panel reads: one metric, the scope's clients, a range of days.
            models.Index(fields=["metric", "client", "day"], name="dailyfigure_panel"),
        ]
        verbose_name = _("daily figure")
        # The dashboards' permissions (roles.py) live here, on the table the pages read;
        # the rows are derived, so no one adds, changes or deletes them by hand.
        default_permissions = ()
        permissions = [
            ("view_dashboard", "Can see the supervisor dashboard of their clients"),
            ("view_compliance_dashboard", "Can see the compliance dashboard of their clients"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.metric} {self.key1}/{self.key2}/{self.key3}: {self.count}"
