from tests.connectors.conftest import receiver  # noqa: F401 - a real webhook receiver
from tests.messaging.conftest import redis_up  # noqa: F401 - skips without Redis
