"""What connectors announce, for whoever listens (closing a ticket listens; connectors
do not know that).

`delivery_acknowledged` is sent by the deliver task once a downstream system answered
2xx and this run marked the delivery delivered, which is committed by then (the task
runs in autocommit), with `delivery_id` only. It is sent with
`send_robust`: a listener that fails is logged and never undoes the delivery; the next
acknowledgement of the ticket announces again, so listeners must be idempotent.

`delivery_failed` is sent by the deliver task after each attempt a downstream system did
not acknowledge, once the service recorded it, with `delivery_id`, `reason` ("timeout",
"connection", "http_4xx", "http_5xx") and `gave_up` (that was the last attempt); also
`send_robust` (the metrics count it).
"""

from django.dispatch import Signal

delivery_acknowledged = Signal()
delivery_failed = Signal()
