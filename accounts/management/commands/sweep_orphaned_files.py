"""List or delete stored CV files that no user row references any more, and partial uploads left behind."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts import cv, uploads
from accounts.models import User


class Command(BaseCommand):
    help = (
        "List (by default) or delete (--delete) stored CV files that no row references and that are older than a "
        "grace period. Files left behind by a failed cleanup or a rolled-back upload end up here; schedule it "
        "daily. A user's newest upload is kept while their row points at an older or missing file. Partial "
        "uploads older than the grace period (a worker killed while it received a file) go the same way."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete", action="store_true", help="Delete the orphaned files (default: list only).")
        parser.add_argument(
            "--older-than",
            type=float,
            default=24.0,
            metavar="HOURS",
            help="Grace period: only files older than this many hours count (default: 24), so an upload "
            "whose row is not yet committed is never touched.",
        )

    def handle(self, *args: Any, delete: bool, older_than: float, **options: Any) -> None:
        if older_than < 0:
            self.stderr.write("--older-than must be zero or more hours.")
            raise SystemExit(2)
        cutoff = timezone.now() - timedelta(hours=older_than)
        orphans, kept = cv.find_stray_files(modified_before=cutoff)
        for stray in kept:
            self.stdout.write(
                f"kept {stray.name}: the newest upload of user {stray.owner_id}, whose row points at an older "
                "or missing file"
            )
        storage = User._meta.get_field("cv").storage
        deleted = total_bytes = 0
        for stray in orphans:
            size = storage.size(stray.name)
            total_bytes += size
            if delete:
                storage.delete(stray.name)
                deleted += 1
                self.stdout.write(f"deleted {stray.name} ({filesizeformat(size)})")
            else:
                self.stdout.write(f"orphaned {stray.name} ({filesizeformat(size)})")
        action = f"deleted {deleted}" if delete else "nothing deleted (dry run; pass --delete to remove them)"
        self.stdout.write(
            f"{len(orphans)} orphaned file(s), {filesizeformat(total_bytes)}, older than {older_than:g} h; {action}."
            + (f" {len(kept)} kept as their user's newest upload." if kept else "")
        )
        self.sweep_partial_uploads(modified_before=cutoff.timestamp(), delete=delete)

    def sweep_partial_uploads(self, *, modified_before: float, delete: bool) -> None:
        """The upload folder's files older than the grace period: no request receives a file for that long."""
        if delete:
            partial = uploads.remove_partial_uploads(modified_before=modified_before)
        else:
            partial = uploads.partial_uploads(modified_before=modified_before)
        for upload in partial:
            verb = "deleted" if delete else "partial upload"
            self.stdout.write(f"{verb} {upload.path} ({filesizeformat(upload.size)})")
        if partial:
            action = "deleted" if delete else "nothing deleted (dry run)"
            total = filesizeformat(sum(upload.size for upload in partial))
            self.stdout.write(f"{len(partial)} partial upload(s), {total}; {action}.")
