"""``manage.py task_worker`` (``make worker``): the task worker, django-tasks-db's with two duties more.

A command of its own name, a subclass of django-tasks-db's ``db_worker`` (which stays as it is, under its own name):
the same options, the same loop (claim a READY task, mark it RUNNING, run it, save the outcome), and:

- **Recovery.** A worker killed mid-task (SIGKILL, the OOM killer, a lost machine) leaves its task RUNNING, and
  no worker would ever take it again. A task RUNNING for longer than ``TASKS_RUNNING_TIMEOUT`` has lost its
  worker: every worker looks for such tasks when it starts and then every tenth of that bound (at most a
  minute), puts them back to READY (event ``task_recovered``), and they run again. The bound is far above the
  longest a task takes; a task that outlived it anyway may run twice, which is why each email keeps one
  Message-ID (delivery is at least once).
- **Reconnection.** A database that goes away (a restart, a failover) costs a log line per try
  (``worker_database_unavailable``, waits growing to 30 s), not the process. A task whose outcome could not
  be saved stays RUNNING and is recovered as above.
"""

import logging
import os
import random
import time
from contextlib import suppress
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import Error, InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

logger = logging.getLogger(__name__)

DATABASE_GONE = (OperationalError, InterfaceError)
LONGEST_WAIT_FOR_DATABASE = 30.0


class Worker(db_worker.Worker):
    """django-tasks-db's worker with a loop of its own: recovery of abandoned tasks, and reconnection."""

    def __init__(self, *, running_timeout: float, **options: Any) -> None:
        super().__init__(**options)
        self.running_timeout = timedelta(seconds=running_timeout)
        self.recovery_interval = min(60.0, running_timeout / 10)
        self.next_recovery = 0.0  # at once
        self.database_failures = 0

    def run(self) -> None:
        logger.info(
            "worker started",
            extra={
                "event": "worker_started",
                "worker_id": self.worker_id,
                "queues": ",".join(self.queue_names),
                "running_timeout": self.running_timeout.total_seconds(),
            },
        )
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 (workers started together do not poll in step)
        while self.running:
            try:
                ran_task: bool | None = self.run_next_task()
            except DATABASE_GONE as error:
                if not _is_locked(error):
                    self.wait_for_database(error)
                    continue
                # SQLite busy with another writer for longer than its timeout: said once, then tried again at once.
                self.database_locked(error)
                ran_task = None
            else:
                self.database_is_back()
            if self.batch and ran_task is False:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and not ran_task:
                time.sleep(self.interval)

    def run_next_task(self) -> bool:
        """Recover abandoned tasks when due, then claim and run one task; False when none was ready."""
        close_old_connections()  # one that broke or aged while this worker slept is replaced
        if time.monotonic() >= self.next_recovery:
            self.recover_abandoned_tasks()
            self.next_recovery = time.monotonic() + self.recovery_interval
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)  # RUNNING from now on: no other worker takes it
        if task_result is None:
            return False
        self.run_task(task_result)
        return True

    def recover_abandoned_tasks(self) -> None:
        """Put tasks RUNNING for longer than the bound back to READY: the worker that claimed them is gone."""
        cutoff = timezone.now() - self.running_timeout
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, backend_name=self.backend_name)
        abandoned = running.filter(started_at__lt=cutoff)
        for task_id, task_path, started_at, worker_ids in abandoned.values_list(
            "id", "task_path", "started_at", "worker_ids"
        ):
            # Only if still abandoned: another worker may have recovered it since, or its own worker finished it.
            if abandoned.filter(id=task_id).update(status=TaskResultStatus.READY, started_at=None):
                logger.warning(
                    "task recovered from a worker that is gone",
                    extra={
                        "event": "task_recovered",
                        "task_id": str(task_id),
                        "task_path": task_path,
                        "started_at": started_at,
                        "worker_ids": worker_ids,
                    },
                )

    def wait_for_database(self, error: Error) -> None:
        """Drop the broken connections and wait, longer each time, before the loop tries again."""
        self.database_failures += 1
        wait = min(LONGEST_WAIT_FOR_DATABASE, 0.5 * 2 ** (self.database_failures - 1))
        logger.warning(
            "database unavailable, waiting",
            extra={
                "event": "worker_database_unavailable",
                "error": repr(error),
                "failures": self.database_failures,
                "retry_in": wait,
            },
        )
        for connection in connections.all(initialized_only=True):
            with suppress(Error):
                connection.close()
        time.sleep(wait)

    def database_locked(self, error: Error) -> None:
        self.database_failures += 1
        if self.database_failures == 1:
            logger.warning(
                "database locked by another writer, trying again",
                extra={"event": "worker_database_unavailable", "error": repr(error), "failures": 1, "retry_in": 0},
            )

    def database_is_back(self) -> None:
        if self.database_failures:
            logger.info(
                "database available again",
                extra={"event": "worker_database_back", "failures": self.database_failures},
            )
            self.database_failures = 0


def _is_locked(error: Error) -> bool:
    return isinstance(error, OperationalError) and bool(error.args) and is_locked_database_exception(error)


class Command(db_worker.Command):
    help = "Run the task worker: django-tasks-db's, recovering dead workers' tasks and riding out database restarts."

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options: Any,
    ) -> None:
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
            running_timeout=settings.TASKS_RUNNING_TIMEOUT,
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # in the reloader's child, which runs the tasks
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
