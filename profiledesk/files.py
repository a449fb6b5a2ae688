"""Files written inside a transaction that rolls back must not stay on disk.

Django has no on-rollback hook. `deleted_on_failure()` wraps a service's transaction
(outside its `atomic` block, so that a failed COMMIT is seen too) and deletes the files
the block wrote if anything in it raises; the block appends each saved name to the list
it is given. Only the outermost block decides: a service called inside a caller's
transaction that the caller later rolls back is not seen, so callers keep these services
at the top of their transactions (the views and the webhook do).
"""

import contextlib
import logging
from collections.abc import Iterator

from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def deleted_on_failure(storage=default_storage) -> Iterator[list[str]]:
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            try:
                storage.delete(name)
            except OSError as error:
                # The original error matters more. No name: it may hold a customer's
                # name (an attachment's); the daily sweep gets the file later.
                logger.warning(
                    "Could not delete a file after a rollback (%s)", type(error).__name__
                )
        raise
