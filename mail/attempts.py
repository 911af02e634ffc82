"""What a task's attempt tells the worker that runs it (``mail.worker``), beyond returning or raising.

- **Retry later.** An attempt that failed but may succeed later raises an ``AttemptFailed`` carrying a ``Retry``: the
  worker queues that next attempt in the very transaction that records this one as FAILED, and only if it still
  holds the task's lease, so that a worker dying in between leaves neither a failed attempt without its retry nor two
  retries. (A task never queues its own retry: a worker that lost its lease would queue one beside the new holder's.)
- **Interrupted.** A second stop signal to the worker during a task raises ``Interrupted`` inside it. It is a
  ``BaseException``, so that a task's ``except Exception`` lets it through: the worker puts the task back to READY.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Retry:
    """The next attempt a failed one asks for: the same task, with ``kwargs``, not before ``run_after``."""

    run_after: datetime
    kwargs: dict[str, Any]


class AttemptFailed(Exception):
    """An attempt that did not succeed; with ``retry`` set, the attempt the worker queues along with this failure."""

    retry: Retry | None = None


class Interrupted(BaseException):
    """The worker was told twice to stop while this task ran: end it now, it runs again on the next worker."""
