"""The admin as an operator meets it: one Accounts section (users, their addresses, scheduled deletions), and the
security events listed beside it, read-only."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from security.models import SecurityEvent


@pytest.fixture
def operator(client, make_user):
    client.force_login(make_user(email="operator@example.com", is_staff=True, is_superuser=True))
    return client


def sections(index: str) -> dict[str, list[str]]:
    """The admin index's sections (captions) and the models listed under each."""
    found = {}
    for caption, table in re.findall(r"<caption>\s*<a[^>]*>([^<]+)</a>\s*</caption>(.*?)</table>", index, re.S):
        found[caption.strip()] = re.findall(r'<th scope="row"[^>]*>\s*<a[^>]*>([^<]+)</a>', table)
    return found


def test_the_admin_has_one_accounts_section_with_users_addresses_and_scheduled_deletions(operator):
    listed = sections(operator.get("/admin/").content.decode())
    assert list(listed).count("Accounts") == 1
    assert listed["Accounts"] == ["Email addresses", "Scheduled deletions", "Users"]
    assert listed["Security"] == ["Security events"]


def test_the_scheduled_deletions_list_the_accounts_waiting_out_their_grace_period_soonest_first(operator, make_user):
    later, sooner, staying = make_user(), make_user(), make_user()
    User.objects.filter(pk=later.pk).update(deletion_due_at=timezone.now() + timedelta(days=6))
    User.objects.filter(pk=sooner.pk).update(deletion_due_at=timezone.now() + timedelta(days=1))

    page = operator.get("/admin/accounts/scheduleddeletion/").content.decode()

    assert page.index(sooner.email) < page.index(later.email)
    assert staying.email not in page


def test_security_events_are_listed_for_operators_and_cannot_be_made_up_or_edited(operator, user):
    event = SecurityEvent.objects.create(user=user, kind=SecurityEvent.Kind.SIGNED_IN_WITH_PASSWORD, browser="Firefox")

    assert user.email in operator.get("/admin/security/securityevent/").content.decode()
    assert operator.get("/admin/security/securityevent/add/").status_code == 403
    page = operator.get(f"/admin/security/securityevent/{event.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
