"""The desk's events, counted where they already announce themselves: a verification
attempt's row, a ticket's move to applied or rolled back (its timeline row, written by
`tickets.states.transition` and nothing else), a delivery's failed attempt
(`connectors.signals.delivery_failed`). Counted on commit: a rolled-back apply counts
nothing."""

from django.db.models.signals import post_save

from profiledesk.connectors import signals as connector_signals
from profiledesk.connectors.models import Delivery
from profiledesk.tickets.models import State, TicketEvent
from verification.models import Attempt

from .counters import count, count_on_commit


def attempt_saved(sender, instance: Attempt, created: bool, **kwargs) -> None:
    if created:
        count_on_commit(
            "profiledesk_verification_attempts",
            method=instance.method,
            purpose=instance.purpose,
            result=instance.result,
        )


def ticket_moved(sender, instance: TicketEvent, created: bool, **kwargs) -> None:
    if not created or instance.kind != TicketEvent.Kind.TRANSITION:
        return
    if instance.to_state == State.APPLIED:
        # `transition` passes the locked ticket row: its channel costs no query.
        count_on_commit(
            "profiledesk_applies",
            channel=instance.ticket.channel,
            by="desk" if instance.actor_id is None else "staff",
        )
    elif instance.to_state == State.ROLLED_BACK:
        count_on_commit("profiledesk_rollbacks")


def delivery_failed(sender, delivery_id: int, reason: str, gave_up: bool, **kwargs) -> None:
    kind = Delivery.objects.filter(pk=delivery_id).values_list("connector__kind", flat=True)
    count(
        "profiledesk_connector_failures",
        kind=kind.first() or "unknown",
        outcome="gave_up" if gave_up else "retrying",
        reason=reason,
    )


def connect() -> None:
    post_save.connect(attempt_saved, sender=Attempt, dispatch_uid="observability.attempt")
    post_save.connect(ticket_moved, sender=TicketEvent, dispatch_uid="observability.ticket")
    connector_signals.delivery_failed.connect(
        delivery_failed, sender=Delivery, dispatch_uid="observability.delivery_failed"
    )
