"""Delete security activity older than 90 days, and forget browsers whose device cookie has expired."""

import logging
from typing import Any

from django.core.management.base import BaseCommand

from security import activity, devices

logger = logging.getLogger("security.activity")


class Command(BaseCommand):
    help = (
        "Delete everyone's security events older than 90 days (the activity page shows 90 days) and forget the "
        "browsers not seen since their device cookie expired. Schedule it daily."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        events = activity.prune_events()
        browsers = devices.forget_stale_devices()
        logger.info(
            "security events pruned", extra={"event": "security_events_pruned", "events": events, "browsers": browsers}
        )
        self.stdout.write(f"Deleted {events} security events and forgot {browsers} browsers.")
