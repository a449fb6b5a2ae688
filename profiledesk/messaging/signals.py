"""What messaging announces, for whoever listens (closing a ticket listens; messaging
does not know that).

`message_sent` is sent by the send task once the message is marked sent, which is
committed by then (the task runs in autocommit), with `message_id` only. It is sent
with `send_robust`: a listener that fails is logged and never undoes or retries the
send. A redelivered task may announce the same message again, so listeners must be
idempotent.
"""

from django.dispatch import Signal

message_sent = Signal()
