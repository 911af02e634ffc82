"""The task worker (``manage.py task_worker``): django-tasks-db's, whose claim on a task is a lease it renews while it
lives, and whose outcome only the lease's holder writes.

django-tasks-db's ``Worker`` claims the next READY task (RUNNING from then on, in its ``exclusive_transaction``, with
``get_locked`` and ``claim``), runs it and saves the outcome. This subclass keeps that claim, its loop and its options,
and adds what several workers, and workers that die, need:

- **A lease, not a timeout.** The claim takes a lease (``mail.models.TaskLease``: the worker's id, and when the claim
  lapses, ``TASKS_LEASE_SECONDS`` ahead by the database's clock) in the same transaction. While the task runs, a
  heartbeat thread renews it every third of its length, however long the task takes. A lease that expired has lost
  its worker (SIGKILL, the OOM killer, a lost machine): every worker looks for such tasks as often, and puts them back
  to READY (``task_recovered``), so another runs them within about 1⅓ lease lengths. A slow worker keeps its task. A
  task RUNNING without a lease (the previous release's worker claimed it) counts as expired after one lease length.
- **Only the holder writes the outcome.** SUCCESSFUL or FAILED is written in one transaction that first locks the
  task's row and checks that this worker still holds the lease; if another took it over, nothing is written
  (``task_result_discarded``). In that same transaction: the next attempt a failed one asks for (``mail.attempts``)
  is queued, the finished task's secret arguments are dropped, and the lease is gone.
- **A task that keeps killing its worker stops.** Each expired lease counts as an interruption of its task; at
  ``TASKS_MAX_INTERRUPTIONS`` the task ends FAILED (``TaskAbandoned``, event ``task_abandoned``) instead of running
  again.
- **Stopping.** The first SIGINT or SIGTERM lets the current task finish, then the worker exits (``worker_stopping``).
  A second one during a task interrupts it (``mail.attempts.Interrupted``), puts it back to READY with its lease
  released (``task_interrupted``), and exits: an interrupted task is never a FAILED one. It does not count as an
  interruption: that count is for tasks that kill their worker, and an operator's stop says nothing about the task.
- **Reconnection.** A database that goes away (a restart, a failover) costs a log line per try
  (``worker_database_unavailable``, waits growing to 30 s, then ``worker_database_back``), not the process. An outcome
  that cannot be written yet is tried again once the database is back.

Delivery stays at least once: a worker that dies after the mail server accepted a message, or one cut off from the
database for longer than its lease, leaves a task that runs again. Each email keeps one Message-ID for that.
"""

import logging
import random
import signal
import threading
import time
from contextlib import suppress
from datetime import timedelta
from types import FrameType
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.db import Error, InterfaceError, OperationalError, close_old_connections, connections
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django_tasks.utils import get_exception_traceback, get_module_path, normalize_json
from django_tasks_db.compat import TaskContext, TaskResultStatus, task_finished, task_started
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .attempts import AttemptFailed, Interrupted, Retry
from .models import TaskLease
from .tasks import deliver_email

logger = logging.getLogger(__name__)

DATABASE_GONE = (OperationalError, InterfaceError)
LONGEST_WAIT_FOR_DATABASE = 30.0
STOP_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]

# What a finished task's row no longer keeps of its arguments, by task: a queued email's message (sealed, but a reset
# link or a log-in code all the same) is a secret kept for nothing once it was sent or given up.
FORGOTTEN_WHEN_FINISHED = {deliver_email.module_path: frozenset({"message"})}


class TaskAbandoned(Exception):
    """The task's lease expired TASKS_MAX_INTERRUPTIONS times: every worker that ran it died. It is not run again."""


class Worker(db_worker.Worker):
    """django-tasks-db's worker, claiming with a lease: see the module's docstring."""

    def __init__(self, *, lease_seconds: float, max_interruptions: int, **options: Any) -> None:
        super().__init__(**options)
        self.lease = timedelta(seconds=lease_seconds)
        self.max_interruptions = max_interruptions
        # Renewals, and the look for expired leases, come every third of a lease: a living worker misses two before
        # it loses its task; a dead one's task is put back within 1⅓ lease lengths of its last renewal.
        self.beat = lease_seconds / 3
        self.next_recovery = 0.0  # at once
        self.database_failures = 0
        self.loop_thread: threading.Thread | None = None
        self.holding: DBTaskResult | None = None  # claimed, and its outcome not written yet
        self.in_task = False  # the task's own code runs: a second stop signal interrupts it there
        self.sleeping = False  # nothing is in flight: a stop signal can end the process on the spot
        self.previous_handlers: dict[int, Any] = {}

    # --- The loop ---------------------------------------------------------------------------------------------

    def run(self) -> None:
        self.loop_thread = threading.current_thread()
        logger.info(
            "worker started",
            extra={
                "event": "worker_started",
                "worker_id": self.worker_id,
                "queues": ",".join(self.queue_names),
                "lease_seconds": self.lease.total_seconds(),
                "max_interruptions": self.max_interruptions,
            },
        )
        try:
            if self.startup_delay and self.interval:
                self.pause(random.random())  # noqa: S311 (workers started together do not poll in step)
            self.loop()
        finally:
            logger.info(
                "worker stopped",
                extra={"event": "worker_stopped", "worker_id": self.worker_id, "tasks": self._run_tasks},
            )

    def loop(self) -> None:
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
                self.pause(self.interval)

    def run_next_task(self) -> bool:
        """Put back the tasks of expired leases when due, then claim and run one task; False when none was ready."""
        close_old_connections()  # one that broke or aged while this worker slept is replaced
        if time.monotonic() >= self.next_recovery:
            self.recover_expired_leases()
            self.next_recovery = time.monotonic() + self.beat
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)  # RUNNING from now on: no other worker takes it
                self.take_lease(task_result)
        if task_result is None:
            return False
        self.run_task(task_result)
        return True

    def pause(self, seconds: float) -> None:
        """Sleep; a stop signal meanwhile ends the worker at once unless it still has an outcome to write."""
        self.sleeping = True
        try:
            if self.running or self.holding is not None:
                time.sleep(seconds)
        finally:
            self.sleeping = False

    # --- The lease ----------------------------------------------------------------------------------------------

    def take_lease(self, task_result: DBTaskResult) -> None:
        """Hold the task just claimed (in the claim's transaction), keeping its count of interruptions."""
        held = {"worker_id": self.worker_id, "expires_at": Now() + self.lease}
        if not TaskLease.objects.filter(task=task_result).update(**held):
            TaskLease.objects.create(task=task_result, **held)

    def holds_lease(self, task_id: Any) -> bool:
        return TaskLease.objects.filter(task_id=task_id, worker_id=self.worker_id, expires_at__isnull=False).exists()

    def recover_expired_leases(self) -> None:
        """Put the tasks whose lease expired back to READY, counting one interruption each; abandon those at the
        limit. Their workers are gone: a living worker renews its lease long before it expires."""
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, backend_name=self.backend_name)
        expired = running.filter(
            Q(lease__expires_at__lt=Now())
            # Claimed by a worker that takes no lease (the previous release's, during a rolling deploy).
            | Q(lease__expires_at__isnull=True, started_at__lt=Now() - self.lease)
        )
        if not expired.exists():  # a plain read: no write lock for SQLite to take every few seconds
            return
        settled = []
        with exclusive_transaction(running.db):
            # The task's row first, as the claim and the outcome lock it; skip one whose worker is writing it now.
            for task in expired.select_for_update(skip_locked=True, of=("self",)):
                interruptions = self.count_interruption(task)
                if interruptions is None:
                    continue
                if interruptions >= self.max_interruptions:
                    self.abandon(task, interruptions)
                else:
                    DBTaskResult.objects.filter(id=task.id).update(status=TaskResultStatus.READY, started_at=None)
                settled.append((task, interruptions))
        for task, interruptions in settled:
            details = {
                "task_id": str(task.id),
                "task_path": task.task_path,
                "started_at": task.started_at,
                "worker_ids": task.worker_ids,
                "interruptions": interruptions,
            }
            if interruptions >= self.max_interruptions:
                logger.error("task abandoned: its workers keep dying", extra={**details, "event": "task_abandoned"})
            else:
                logger.warning(
                    "task recovered from a worker that is gone", extra={**details, "event": "task_recovered"}
                )

    def count_interruption(self, task: DBTaskResult) -> int | None:
        """Take the expired lease from its holder, one interruption more; None if it was renewed meanwhile."""
        leases = TaskLease.objects.filter(task_id=task.id)
        taken = leases.filter(Q(expires_at__lt=Now()) | Q(expires_at__isnull=True)).update(
            worker_id="", expires_at=None, interruptions=F("interruptions") + 1
        )
        if taken:
            return leases.values_list("interruptions", flat=True).get()
        if leases.exists():
            return None  # its worker renewed it after all: it lives
        TaskLease.objects.create(task=task, interruptions=1)
        return 1

    def abandon(self, task: DBTaskResult, interruptions: int) -> None:
        error = TaskAbandoned(
            f"Its worker was lost {interruptions} times while running it (killed, out of memory, machine gone): "
            f"at TASKS_MAX_INTERRUPTIONS ({self.max_interruptions}) it is not run again."
        )
        DBTaskResult.objects.filter(id=task.id).update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            return_value=None,
            exception_class_path=get_module_path(TaskAbandoned),
            traceback=get_exception_traceback(error),
            args_kwargs=finished_arguments(task),
        )
        TaskLease.objects.filter(task_id=task.id).delete()

    # --- Running one task ------------------------------------------------------------------------------------

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run the claimed task while a heartbeat renews its lease; write its outcome if the lease is still ours."""
        self.holding = db_task_result
        self.running_task = True
        heartbeat = LeaseHeartbeat(db_task_result, worker_id=self.worker_id, lease=self.lease, every=self.beat)
        heartbeat.start()
        try:
            try:
                task = db_task_result.task
                task_result = db_task_result.task_result
                task_started.send(sender=type(task.get_backend()), task_result=task_result)
                self.in_task = True
                try:
                    if task.takes_context:
                        value = task.call(TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs)
                    else:
                        value = task.call(*task_result.args, **task_result.kwargs)
                finally:
                    self.in_task = False
                return_value = normalize_json(value)  # what cannot be kept as JSON fails the task here
            except Interrupted as interruption:
                heartbeat.stop()
                self.put_back(db_task_result, signal_name=str(interruption))
            except BaseException as error:
                if self.settle(db_task_result, heartbeat, error=error):
                    self.announce_finished(db_task_result)  # while handling ``error``: django_tasks logs it
            else:
                if self.settle(db_task_result, heartbeat, return_value=return_value):
                    self.announce_finished(db_task_result)
        finally:
            heartbeat.stop()
            self.holding = None
            self.running_task = False
            self._run_tasks += 1

    def settle(
        self,
        db_task_result: DBTaskResult,
        heartbeat: "LeaseHeartbeat",
        *,
        return_value: Any = None,
        error: BaseException | None = None,
    ) -> bool:
        """Write the outcome if this worker still holds the lease, waiting out a database that is away; True if
        written, False if another worker took the task over meanwhile."""
        retry = error.retry if isinstance(error, AttemptFailed) else None
        while True:
            try:
                with heartbeat.lock:  # no renewal in between: once written, the lease is gone
                    written = self.write_outcome(db_task_result, return_value=return_value, error=error, retry=retry)
                    heartbeat.stop()
                break
            except DATABASE_GONE as database_error:
                if _is_locked(database_error):
                    self.database_locked(database_error)
                else:
                    self.wait_for_database(database_error)
        self.database_is_back()
        if not written:
            logger.warning(
                "outcome discarded: another worker took the task over",
                extra={
                    "event": "task_result_discarded",
                    "task_id": str(db_task_result.id),
                    "task_path": db_task_result.task_path,
                    "worker_id": self.worker_id,
                    "outcome": TaskResultStatus.SUCCESSFUL if error is None else TaskResultStatus.FAILED,
                    "retry_dropped": retry is not None,
                },
            )
        return written

    def write_outcome(
        self, db_task_result: DBTaskResult, *, return_value: Any, error: BaseException | None, retry: Retry | None
    ) -> bool:
        """In one transaction: check the lease is ours, write the outcome, queue the retry, drop the lease."""
        with exclusive_transaction(DBTaskResult.objects.db):
            task = locked_if_running(db_task_result)
            if task is None or not self.holds_lease(task.id):
                return False
            outcome: dict[str, Any] = {"finished_at": timezone.now(), "args_kwargs": finished_arguments(task)}
            if error is None:
                outcome.update(
                    status=TaskResultStatus.SUCCESSFUL,
                    return_value=return_value,
                    exception_class_path="",
                    traceback="",
                )
            else:
                outcome.update(
                    status=TaskResultStatus.FAILED,
                    return_value=None,
                    exception_class_path=get_module_path(type(error)),
                    traceback=get_exception_traceback(error),
                )
            DBTaskResult.objects.filter(id=task.id).update(**outcome)
            TaskLease.objects.filter(task_id=task.id).delete()
            if retry is not None:
                task.task.using(run_after=retry.run_after).enqueue(**retry.kwargs)
        for name, value in outcome.items():
            setattr(db_task_result, name, value)
        return True

    def announce_finished(self, db_task_result: DBTaskResult) -> None:
        try:
            sender = type(db_task_result.task.get_backend())
            task_result = db_task_result.task_result
        except (ImportError, SuspiciousOperation):
            logger.exception("Task id=%s failed unexpectedly", db_task_result.id)
        else:
            task_finished.send(sender=sender, task_result=task_result)

    def put_back(self, db_task_result: DBTaskResult, *, signal_name: str) -> None:
        """An interrupted task goes back to READY, its lease released and its count of interruptions unchanged."""
        details = {"task_id": str(db_task_result.id), "task_path": db_task_result.task_path, "signal": signal_name}
        for last_try in (False, True):
            try:
                with exclusive_transaction(DBTaskResult.objects.db):
                    task = locked_if_running(db_task_result)
                    put_back = task is not None and self.holds_lease(task.id)
                    if put_back:
                        task_id = db_task_result.id
                        DBTaskResult.objects.filter(id=task_id).update(status=TaskResultStatus.READY, started_at=None)
                        TaskLease.objects.filter(task_id=task_id).update(worker_id="", expires_at=None)
                break
            except Error as error:
                # The interruption may have cut the connection in the middle of a query: once more, on a new one.
                for connection in connections.all(initialized_only=True):
                    with suppress(Error):
                        connection.close()
                if last_try:
                    logger.error(
                        "task interrupted, not put back: it runs again once its lease has expired",
                        extra={**details, "event": "task_interrupted", "put_back": False, "error": repr(error)},
                    )
                    return
        logger.warning(
            "task interrupted by a second stop signal, put back to READY",
            extra={**details, "event": "task_interrupted", "put_back": put_back},
        )

    # --- Signals ---------------------------------------------------------------------------------------------

    def configure_signals(self) -> None:
        self.previous_handlers = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
        super().configure_signals()

    def restore_signals(self) -> None:
        """Hand the signals back to whoever had them (a test that ran the worker in its own process)."""
        for signum, handler in self.previous_handlers.items():
            signal.signal(signum, handler)

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if threading.current_thread() is not self.loop_thread:
            # --reload runs the loop in a thread of its own, which no exception raised here can reach: django-tasks-db's
            # way then (the second signal ends the process; the task's lease lapses and another worker runs it).
            super().shutdown(signum, frame)
            return
        name = signal.strsignal(signum) or str(signum)
        if self.running:
            self.running = False
            task_id = str(self.holding.id) if self.holding is not None else None
            logger.warning(
                "stopping once the current task is done" if task_id else "stopping",
                extra={"event": "worker_stopping", "signal": name, "task_id": task_id},
            )
            if self.sleeping and self.holding is None:
                raise SystemExit(0)
            return
        if self.in_task:
            raise Interrupted(name)
        if self.sleeping:
            raise SystemExit(1)
        # Otherwise it is claiming a task or writing an outcome: a moment, and the loop ends right after.

    # --- The database going away -----------------------------------------------------------------------------

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
        self.pause(wait)

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


class LeaseHeartbeat(threading.Thread):
    """Renews this worker's lease on one task every ``every`` seconds, over a database connection of its own, until
    stopped, or until the lease turns out to be another worker's."""

    def __init__(self, task: DBTaskResult, *, worker_id: str, lease: timedelta, every: float) -> None:
        super().__init__(name=f"lease-{task.id}", daemon=True)
        self.task_id = task.id
        self.task_path = task.task_path
        self.worker_id = worker_id
        self.lease = lease
        self.every = every
        self.stopped = threading.Event()
        # Held by a renewal, and by the worker while it writes the outcome: never one inside the other.
        self.lock = threading.Lock()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                with self.lock:
                    if self.stopped.is_set() or not self.renew():
                        return
        finally:
            connections.close_all()  # this thread's own

    def renew(self) -> bool:
        """Push the expiry a lease length ahead; False once the lease is no longer this worker's."""
        details = {"task_id": str(self.task_id), "task_path": self.task_path, "worker_id": self.worker_id}
        try:
            renewed = TaskLease.objects.filter(
                task_id=self.task_id, worker_id=self.worker_id, expires_at__isnull=False
            ).update(expires_at=Now() + self.lease)
        except Error as error:
            # The database is away: the next beat tries again, on a new connection. Away for longer than a lease,
            # the task may be taken over; its outcome is then discarded.
            logger.warning(
                "lease not renewed", extra={**details, "event": "task_lease_not_renewed", "error": repr(error)}
            )
            for connection in connections.all(initialized_only=True):
                with suppress(Error):
                    connection.close()
            return True
        if not renewed:
            logger.warning(
                "lease lost: another worker took the task over", extra={**details, "event": "task_lease_lost"}
            )
        return bool(renewed)

    def stop(self) -> None:
        self.stopped.set()


def locked_if_running(task: DBTaskResult) -> DBTaskResult | None:
    """The task's row, locked, if it is still RUNNING. Whoever changes a lease's holder (a claim, a recovery, an
    outcome, a task put back) holds this lock meanwhile, so what the lease says then stays true until the commit."""
    return DBTaskResult.objects.select_for_update().filter(id=task.id, status=TaskResultStatus.RUNNING).first()


def finished_arguments(task: DBTaskResult) -> dict[str, Any]:
    """The task's arguments as its finished row keeps them: without the secrets it carried for its run."""
    forgotten = FORGOTTEN_WHEN_FINISHED.get(task.task_path, frozenset())
    kwargs = {name: value for name, value in task.args_kwargs["kwargs"].items() if name not in forgotten}
    return {**task.args_kwargs, "kwargs": kwargs}


def _is_locked(error: Error) -> bool:
    return isinstance(error, OperationalError) and bool(error.args) and is_locked_database_exception(error)
