"""``manage.py task_worker`` (``make worker``): runs ``mail.worker.Worker``, with django-tasks-db's ``db_worker``
options (``--queue-name``, ``--interval``, ``--batch``, ``--worker-id``, …) and ``TASKS_LEASE_SECONDS`` and
``TASKS_MAX_INTERRUPTIONS`` from the settings. django-tasks-db's own ``db_worker`` stays as it is, under its own name;
it takes no leases and queues no retries: run this one."""

import os
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from mail.worker import Worker


class Command(db_worker.Command):
    help = "Run the task worker: django-tasks-db's, holding each task by a lease it renews while it lives."

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
        if settings.TASKS_LEASE_SECONDS < 1 or settings.TASKS_MAX_INTERRUPTIONS < 1:
            raise CommandError("TASKS_LEASE_SECONDS and TASKS_MAX_INTERRUPTIONS must be at least 1.")
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
            lease_seconds=settings.TASKS_LEASE_SECONDS,
            max_interruptions=settings.TASKS_MAX_INTERRUPTIONS,
        )
        try:
            if reload and not batch:
                if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                    worker.configure_signals()  # in the reloader's child, which runs the tasks
                run_with_reloader(worker.run)
            else:
                worker.configure_signals()
                worker.run()
        finally:
            worker.restore_signals()
