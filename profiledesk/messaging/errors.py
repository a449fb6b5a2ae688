"""What a channel raises when a send does not go through.

The message of each error is written by the desk (kind and code), never copied from a
provider's answer, which may echo the text that was sent; it is stored as last_error.
"""


class SendError(Exception):
    """The message was not sent and sending it again will not help."""


class TransientSendError(SendError):
    """The message was not sent; sending it again later may work."""
