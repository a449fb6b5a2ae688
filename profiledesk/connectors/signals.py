"""What connectors announce, for whoever listens (closing a ticket listens; connectors
do not know that).

`delivery_acknowledged` is sent by the deliver task once a downstream system answered
2xx and this run marked the delivery delivered, which is committed by then (the task
runs in autocommit), with `delivery_id` only. It is sent with
`send_robust`: a listener that fails is logged and never undoes the delivery; the next
acknowledgement of the ticket announces again, so listeners must be idempotent.
"""

from django.dispatch import Signal

delivery_acknowledged = Signal()
