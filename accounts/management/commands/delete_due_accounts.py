"""Delete every account past its deletion date, whatever became of its scheduled task: the daily sweep."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.deletion import delete_due_accounts


class Command(BaseCommand):
    help = (
        "Delete every account whose deletion grace period is over, as its scheduled task would have: the user and "
        "all that is theirs, with the goodbye email. A deletion never rests on its one task row (lost in a restore, "
        "cleared from the queue). Safe to run at any time, twice, or beside the task worker. Schedule it daily."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = delete_due_accounts()
        self.stdout.write(f"Deleted {outcome.deleted} account(s) past their deletion date.")
        if outcome.failed:
            # A non-zero exit, so that cron or the timer reports it; the accounts are tried again at the next run.
            raise CommandError(
                f"{len(outcome.failed)} account(s) could not be deleted (see the log, event=account_deletion_failed):"
                f" {', '.join(map(str, outcome.failed))}"
            )
