"""List or delete stored upload files that no user row references any more."""

from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.files import file_fields
from accounts.models import User
from accounts.uploads import UPLOAD_FOLDERS


class Command(BaseCommand):
    help = (
        "List (by default) or delete (--delete) files under the user upload folders that no row references "
        "and that are older than a grace period. Files left behind by a failed cleanup or a rolled-back upload "
        "end up here; schedule it daily."
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

    def handle(self, *args, delete: bool, older_than: float, **options) -> None:
        if older_than < 0:
            self.stderr.write("--older-than must be zero or more hours.")
            raise SystemExit(2)
        cutoff = timezone.now() - timedelta(hours=older_than)
        referenced = self.referenced_names()
        found = deleted = total_bytes = 0
        for name in self.stored_names():
            if name in referenced or default_storage.get_modified_time(name) > cutoff:
                continue
            found += 1
            size = default_storage.size(name)
            total_bytes += size
            if delete:
                default_storage.delete(name)
                deleted += 1
                self.stdout.write(f"deleted {name} ({filesizeformat(size)})")
            else:
                self.stdout.write(f"orphaned {name} ({filesizeformat(size)})")
        action = f"deleted {deleted}" if delete else "nothing deleted (dry run; pass --delete to remove them)"
        self.stdout.write(
            f"{found} orphaned file(s), {filesizeformat(total_bytes)}, older than {older_than:g} h; {action}."
        )

    def referenced_names(self) -> set[str]:
        names: set[str] = set()
        for field in file_fields(User):
            names.update(User._default_manager.exclude(**{field.attname: ""}).values_list(field.attname, flat=True))
        return names

    def stored_names(self):
        pending = list(UPLOAD_FOLDERS)
        while pending:
            folder = pending.pop()
            try:
                directories, files = default_storage.listdir(folder)
            except FileNotFoundError:
                continue
            pending.extend(f"{folder}/{directory}" for directory in directories)
            yield from (f"{folder}/{file}" for file in files)
