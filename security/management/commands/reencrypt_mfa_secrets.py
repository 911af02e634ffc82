"""Re-encrypt every stored two-factor secret with the current SECRET_KEY, so that an old key can be retired."""

from typing import Any

from django.core.management.base import BaseCommand

from security.encryption import reencrypt_stored_secrets


class Command(BaseCommand):
    help = (
        "Rewrite every stored authenticator-app secret and recovery-code seed under the current SECRET_KEY. "
        "After rotating DJANGO_SECRET_KEY (the old key kept in DJANGO_SECRET_KEY_FALLBACKS), run this, then "
        "drop the old key from the fallbacks."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rewritten = reencrypt_stored_secrets()
        self.stdout.write(f"{rewritten} authenticator(s) re-encrypted with the current SECRET_KEY.")
