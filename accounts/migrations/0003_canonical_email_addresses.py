"""Addresses are stored in their canonical form: validate it on the field, and bring stored rows to it.

Rows written before this migration were only lower-cased, so a fullwidth, quoted or Unicode-domain spelling
may be stored; look-ups now use the canonical form and would no longer find such an account. Each row is
rewritten to its canonical form when that is safe: when no other row holds that form already. A row whose
canonical form another account holds (two accounts for one mailbox, the bug this fixes) or that has no
canonical form is left as it is and logged (event ``email_not_canonicalised``) for an operator to resolve;
nothing is merged or deleted here.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import migrations

import accounts.email_addresses
from accounts.email_addresses import canonical_email

logger = logging.getLogger("accounts.migrations")


def _report(model: str, row_id: int, reason: str) -> None:
    logger.warning(
        "stored address left as it is",
        extra={"event": "email_not_canonicalised", "model": model, "row_id": row_id, "reason": reason},
    )


def canonicalise_stored_addresses(apps, schema_editor) -> None:
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")

    for user_id, email in User.objects.values_list("pk", "email").iterator():
        try:
            canonical = canonical_email(email)
        except ValidationError as error:
            _report("user", user_id, error.code or "invalid")
            continue
        if canonical == email:
            continue
        if User.objects.filter(email__iexact=canonical).exclude(pk=user_id).exists():
            _report("user", user_id, "another_account_has_it")
            continue
        User.objects.filter(pk=user_id).update(email=canonical)

    rows = EmailAddress.objects.values_list("pk", "user_id", "email", "verified").iterator()
    for address_id, user_id, email, verified in rows:
        try:
            canonical = canonical_email(email)
        except ValidationError as error:
            _report("emailaddress", address_id, error.code or "invalid")
            continue
        if canonical == email:
            continue
        same_user = EmailAddress.objects.filter(user_id=user_id, email__iexact=canonical)
        verified_elsewhere = EmailAddress.objects.filter(email__iexact=canonical, verified=True).exclude(
            user_id=user_id
        )
        if same_user.exclude(pk=address_id).exists() or (verified and verified_elsewhere.exists()):
            _report("emailaddress", address_id, "another_row_has_it")
            continue
        EmailAddress.objects.filter(pk=address_id).update(email=canonical)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_cv_index"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="email",
            field=accounts.email_addresses.CanonicalEmailField(max_length=254, unique=True, verbose_name="email address"),
        ),
        migrations.RunPython(canonicalise_stored_addresses, migrations.RunPython.noop, elidable=True),
    ]
