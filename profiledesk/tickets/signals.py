"""What the tickets capability announces to the layers above it.

`ticket_moved` is sent by `states.transition` once the move has committed (on commit of
the outermost transaction; a move rolled back announces nothing), with ids and codes only:
`ticket_id`, `event_id` (the timeline's `TicketEvent`), `source`, `target` (state codes)
and `actor_id` (None: the desk itself). It is sent with `send_robust`: a listener that
fails is logged and never undoes the move. Listeners must be idempotent (the event id is
a natural key).
"""

from django.dispatch import Signal

ticket_moved = Signal()
