"""Background work of accounts: deleting stored files after the commit that released them. (The deletion of an account
whose grace period is over is a task of its own lifecycle's module, accounts/deletion.py.)"""

import logging
from typing import cast

from django.db.models import FileField
from django_tasks import task

from .cv import discard
from .models import User

logger = logging.getLogger(__name__)


@task()
def delete_stored_files(*, field_name: str, names: list[str], user_id: int | None, reason: str) -> None:
    """Delete files through their storage, except those another row still points at (one query)."""
    field = cast(FileField, User._meta.get_field(field_name))
    still_referenced = set(
        User._default_manager.filter(**{f"{field.attname}__in": names}).values_list(field.attname, flat=True)
    )
    failed = []
    details = {"field": field_name, "user_id": user_id}
    for name in names:
        if name in still_referenced:
            logger.info("file kept: still referenced", extra={**details, "event": "file_kept", "file": name})
            continue
        if fault := discard(field.storage, name):  # a file already gone is not an error, on disk or on S3
            logger.warning(
                "file not deleted", extra={**details, "event": "file_delete_failed", "file": name, "error": repr(fault)}
            )
            failed.append(fault)
            continue
        logger.info("file deleted", extra={**details, "event": "file_deleted", "file": name, "reason": reason})
    if failed:
        # The task is left failed, visible; sweep_orphaned_files removes the file later.
        raise failed[0]
