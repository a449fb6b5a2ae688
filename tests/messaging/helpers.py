from profiledesk.messaging.services import message_queue

CODE = "482913"


def queue_otp(client, *, channel="email", to="grace@example.com", key="otp-1", **extra):
    """An OTP message as the verification wizard queues it."""
    return message_queue(
        client=client,
        channel=channel,
        to=to,
        template="otp",
        context={"code": CODE, "valid_minutes": 10, "client_name": client.name},
        idempotency_key=key,
        secret_keys=("code",),
        **extra,
    )
