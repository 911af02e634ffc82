"""The worker's claim on a task it runs: a lease, renewed while its worker lives (``mail.worker``)."""

from django.db import models
from django.db.models import Q
from django_tasks_db.models import DBTaskResult


class TaskLease(models.Model):
    """Which worker runs a task, until when its claim holds, and how many workers died running it.

    Written in the transaction that claims the task, renewed by its worker's heartbeat, checked (under the task's row
    lock) before the worker writes the outcome, and gone with the outcome: a finished task has none. While the task is
    RUNNING, ``worker_id`` and ``expires_at`` name the holder; a task put back to READY keeps its row with neither, so
    that ``interruptions`` (each lease that expired under it: its worker was killed, ran out of memory, lost its
    machine) counts across claims until the task ends.
    """

    task = models.OneToOneField(DBTaskResult, on_delete=models.CASCADE, primary_key=True, related_name="lease")
    # As long as django-tasks-db allows a worker id to be.
    worker_id = models.CharField(max_length=64, blank=True)
    # By the database's clock, the one every worker of a fleet shares.
    expires_at = models.DateTimeField(null=True, blank=True)
    interruptions = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Held (a worker until a time) or not held (neither): never half of one.
            models.CheckConstraint(
                condition=(Q(worker_id="") & Q(expires_at__isnull=True))
                | (~Q(worker_id="") & Q(expires_at__isnull=False)),
                name="mail_tasklease_held_by_a_worker_until_a_time",
            )
        ]

    def __str__(self) -> str:
        holder = f"held by {self.worker_id} until {self.expires_at}" if self.worker_id else "not held"
        return f"lease on task {self.task_id}: {holder}, {self.interruptions} interruption(s)"
