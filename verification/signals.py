"""What verification announces to the layers above it.

`evidence_recorded` is sent once a pass recorded without an agent (a client app's signed
assertion, an identity provider's decision) has committed, with ids only: `ticket_id`,
`attempt_id`, `method` (the method's code). Straight-through processing listens to it
(issue 18): the ticket may now be verified without anyone at the desk. Sent with
`send_robust`; listeners must be idempotent (the attempt id is a natural key).
"""

from django.dispatch import Signal

evidence_recorded = Signal()
