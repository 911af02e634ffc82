"""The one way a test waits for something another process does: poll a condition until it holds, or fail saying what.

A test waits only for an *outcome* (an email arrived, a file is gone, a row changed), never for a span of time: the
deadline is a ceiling for a broken system, not a measure of a working one, so it is generous and never asserted.
"""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Far above what anything here takes on a loaded 2-core machine; reached only when the awaited outcome never comes.
DEFAULT_TIMEOUT = 30.0
POLL_INTERVAL = 0.05


def wait_until(
    condition: Callable[[], T],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = POLL_INTERVAL,
    describe: Callable[[], object] | None = None,
) -> T:
    """Call ``condition`` until it returns something true, and return that; raise ``AssertionError`` naming ``what``
    (and ``describe()``, the state seen last) if it has not happened within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            seen = f"; last seen: {describe()}" if describe is not None else ""
            raise AssertionError(f"{what}: not within {timeout:g}s{seen}")
        time.sleep(interval)
