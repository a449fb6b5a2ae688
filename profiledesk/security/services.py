"""Security's writes on tickets: claiming one from its queue.

Escalated tickets stay assigned to the agent who escalated them, who can no longer act
on them; security takes them over. Closing a resolved report is confirmations'
(`confirmations.services.report_close`), through the state machine.
"""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from profiledesk.accounts.models import User
from profiledesk.accounts.roles import Role, roles_of
from profiledesk.tickets.models import Ticket, TicketEvent
from profiledesk.tickets.services import TicketError

from .selectors import is_security_ticket


@transaction.atomic
def security_claim(*, ticket: Ticket, by: User, request: HttpRequest | None = None) -> Ticket:
    """Assign an escalated or report ticket to `by`, a member of security, taking it from
    the floor if an agent or supervisor had it (recorded on the timeline and audited). Of
    two analysts claiming at once, one wins; the other is told who has it."""
    if Role.SECURITY not in roles_of(by):
        raise TicketError(_("Only the security team claims from the security queue."))
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not is_security_ticket(locked):
        raise TicketError(_("This ticket is not with the security team."))
    previous = locked.assignee
    if previous is not None and previous.pk == by.pk:
        return locked
    if previous is not None and Role.SECURITY in roles_of(previous):
        raise TicketError(
            _("%(name)s of the security team has already claimed this ticket.") % {"name": previous}
        )
    locked.assignee = by
    locked.updated_at = timezone.now()
    # As any claim: the floor's open page (it polls the version) learns it is not theirs.
    locked.version += 1
    locked._change_reason = "claimed by security"
    locked.save(update_fields=["assignee", "updated_at", "version"])
    if previous is None:
        message = _("Claimed by %(name)s (security).") % {"name": by}
    else:
        message = _("Taken over by %(name)s (security) from %(previous)s.") % {
            "name": by,
            "previous": previous,
        }
    TicketEvent.objects.create(
        ticket=locked,
        at=locked.updated_at,
        actor=by,
        kind=TicketEvent.Kind.ASSIGNED,
        message=message,
    )
    audit_record(
        action="ticket.security_claimed",
        actor=by,
        client=locked.client,
        target=locked,
        data={
            "reference": locked.reference,
            "from": previous.get_username() if previous is not None else "",
        },
        request=request,
    )
    ticket.assignee = locked.assignee
    return locked
