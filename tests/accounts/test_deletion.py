"""Self-service account deletion: the reauthentication gate, "Delete now", the grace period ("Delete my account",
"Keep my account"), the task that carries it out, and the admin's bulk delete."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.deletion import cancel_account_deletion, delete_account_when_due, schedule_account_deletion
from accounts.models import User
from security.models import SecurityEvent
from testkit.files import stored_files
from testkit.totp import totp_code

DELETED = "Your account has been deleted."
GRACE_PAGE = "/accounts/delete/scheduled/"
REAUTHENTICATE = "/accounts/reauthenticate/?next=%2Faccounts%2Fdelete%2F"
GRACE_REAUTHENTICATE = "/accounts/reauthenticate/?next=%2Faccounts%2Fdelete%2Fscheduled%2F"


def sessions_of(user_id: int) -> list[Session]:
    return [session for session in Session.objects.all() if session.get_decoded().get("_auth_user_id") == str(user_id)]


def log_in(client: Client, user: User, password: str) -> Client:
    """Log in through the site's form, as a person does (allauth tracks the session)."""
    response = client.post("/accounts/login/", {"login": user.email, "password": password})
    assert response.status_code == 302, response.status_code
    return client


def scheduled_deletions() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path="accounts.deletion.delete_account_when_due"))


def events_of(user: User) -> list[str]:
    return list(SecurityEvent.objects.filter(user=user).order_by("created_at", "pk").values_list("kind", flat=True))


@pytest.fixture
def confirmed(client, password_confirmed, password):
    """``confirmed(user)``: the client is signed in as ``user`` through the log-in form and has just confirmed
    their password, so the deletion page opens."""

    def sign_in(user: User) -> Client:
        log_in(client, user, password)
        return password_confirmed(client)

    return sign_in


@pytest.fixture
def press(client, django_capture_on_commit_callbacks):
    """``press(button, path=...)``: submit a deletion page's button, running what is scheduled after commit."""

    def post(action: str, *, path: str = "/accounts/delete/", follow: bool = False):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, {"action": action}, follow=follow)

    return post


# --- The gate -----------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get("/accounts/delete/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/delete/"


def test_anonymous_post_deletes_nothing(client, user):
    response = client.post("/accounts/delete/", {"action": "now"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert User.objects.filter(pk=user.pk).exists()


def test_a_signed_in_person_confirms_it_is_them_before_the_page_opens(client, user, password):
    log_in(client, user, password)  # a sign-in alone is not a confirmation
    response = client.get("/accounts/delete/")
    assert response.status_code == 302
    assert response["Location"] == REAUTHENTICATE


def test_a_post_without_a_recent_confirmation_deletes_nothing(client, user, password, press):
    log_in(client, user, password)
    response = press("now")
    assert response["Location"] == REAUTHENTICATE
    assert User.objects.filter(pk=user.pk).exists()
    assert mail.outbox == []


def test_a_wrong_password_at_the_confirmation_says_so_and_the_page_stays_closed(client, user, password):
    log_in(client, user, password)
    response = client.post(REAUTHENTICATE, {"password": "not my password"})
    assert response.status_code == 200
    assert "Incorrect password." in response.content.decode()
    assert client.get("/accounts/delete/")["Location"] == REAUTHENTICATE


def test_the_right_password_at_the_confirmation_leads_to_the_page(client, user, password):
    log_in(client, user, password)
    response = client.post(REAUTHENTICATE, {"password": password})
    assert response["Location"] == "/accounts/delete/"
    assert client.get("/accounts/delete/").status_code == 200


def test_a_person_without_a_password_confirms_with_their_authenticator_app(client, user, clock):
    user.set_unusable_password()
    user.save()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    client.force_login(user)

    response = client.get("/accounts/delete/")
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Faccounts%2Fdelete%2F"
    response = client.post(response["Location"], {"code": totp_code(secret, clock.now)})

    assert response["Location"] == "/accounts/delete/"
    assert client.get("/accounts/delete/").status_code == 200
    assert Authenticator.objects.filter(user=user).exists()


# --- The page -----------------------------------------------------------------------------------


def test_page_says_what_will_be_deleted_and_when(client, user_with_cv, confirmed, deferring_tasks, clock):
    confirmed(user_with_cv)
    response = client.get("/accounts/delete/")
    page = response.content.decode()
    assert "“My CV.pdf”" in page
    assert "all email addresses on your account" in page
    assert "every session where you are logged in" in page
    due = timezone.now() + timedelta(days=7)  # the clock stands still: the page's day, not the next one
    assert f'<time datetime="{due:%Y-%m-%d}' in page
    assert '<button type="submit" name="action" value="schedule"' in page
    assert '<button type="submit" name="action" value="now"' in page
    # The grace period is on the button itself (ACCOUNT_DELETION_GRACE_DAYS), beside "Delete now".
    assert ">Delete my account in 7 days</button>" in page and ">Delete now</button>" in page


def test_the_deferred_deletion_button_counts_the_days_of_the_grace_period(
    client, user, confirmed, settings, deferring_tasks
):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 1
    confirmed(user)
    page = client.get("/accounts/delete/").content.decode()
    assert ">Delete my account in 1 day</button>" in page
    settings.ACCOUNT_DELETION_GRACE_DAYS = 30
    assert ">Delete my account in 30 days</button>" in client.get("/accounts/delete/").content.decode()


def test_without_a_grace_period_the_page_offers_deletion_at_once(client, user, confirmed, settings, deferring_tasks):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 0
    confirmed(user)
    page = client.get("/accounts/delete/").content.decode()
    assert "Your account is deleted at once." in page
    assert ">Delete now</button>" not in page
    assert '<button type="submit" name="action" value="now" class="btn btn-danger">Delete my account</button>' in page


def test_an_unknown_button_changes_nothing_and_says_so(client, user, confirmed, press):
    confirmed(user)
    response = press("everything")
    assert response.status_code == 200
    assert "Choose one of the buttons." in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


def test_csrf_token_is_required(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/accounts/delete/", {"action": "now"})
    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


# --- "Delete now" ---------------------------------------------------------------------------------


def test_delete_now_deletes_the_user_their_addresses_and_activity(client, user_with_cv, confirmed, press):
    confirmed(user_with_cv)
    assert SecurityEvent.objects.filter(user=user_with_cv).exists()
    press("now")
    assert not User.objects.filter(pk=user_with_cv.pk).exists()
    assert not EmailAddress.objects.filter(email=user_with_cv.email).exists()
    assert not SecurityEvent.objects.filter(user_id=user_with_cv.pk).exists()


def test_delete_now_deletes_the_cv_file(client, user_with_cv, confirmed, media_root, press):
    confirmed(user_with_cv)
    press("now")
    assert stored_files(media_root) == []


def test_delete_now_logs_out_and_lands_on_home_with_a_message(client, user, confirmed, press):
    confirmed(user)
    response = press("now", follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert DELETED in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert client.get("/profile/")["Location"] == "/accounts/login/?next=/profile/"


def test_delete_now_sends_a_confirmation_to_the_old_address(client, user, confirmed, press):
    confirmed(user)
    mail.outbox.clear()
    press("now")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Your Vitae account has been deleted"


def test_after_delete_now_no_session_of_the_user_works(client, user, password, confirmed, press):
    other_device = log_in(Client(), user, password)
    confirmed(user)
    assert len(sessions_of(user.pk)) == 2

    press("now")

    assert sessions_of(user.pk) == []
    assert other_device.get("/profile/")["Location"] == "/accounts/login/?next=/profile/"


def test_other_users_are_untouched(client, user_with_cv, make_user, cv_upload, confirmed, media_root, press):
    neighbour = make_user()
    neighbour.cv = cv_upload("neighbour.pdf")
    neighbour.save()
    neighbours_device = Client()
    neighbours_device.force_login(neighbour)
    confirmed(user_with_cv)

    press("now")

    assert User.objects.filter(pk=neighbour.pk).exists()
    assert EmailAddress.objects.filter(user=neighbour).exists()
    assert stored_files(media_root) == [neighbour.cv.name]
    assert neighbours_device.get("/profile/").status_code == 200


def test_with_the_immediate_backend_delete_my_account_deletes_at_once(client, user, confirmed, press):
    """The immediate backend cannot hold a task for a week: no grace period is promised that nothing would end."""
    confirmed(user)
    response = press("schedule", follow=True)
    assert DELETED in response.content.decode()
    assert not User.objects.filter(pk=user.pk).exists()


# --- "Delete my account": the grace period ----------------------------------------------------------


def test_delete_my_account_schedules_the_deletion_a_week_later(client, user, confirmed, press, deferring_tasks):
    confirmed(user)
    before = timezone.now()
    press("schedule")
    user.refresh_from_db()
    assert before + timedelta(days=7) <= user.deletion_due_at <= timezone.now() + timedelta(days=7)
    [task] = scheduled_deletions()
    assert task.status == "READY"
    assert task.run_after == user.deletion_due_at
    assert task.args_kwargs["kwargs"] == {"user_id": user.pk}
    assert events_of(user)[-2:] == ["deletion_scheduled", "signed_out"]


def test_delete_my_account_signs_out_everywhere_and_says_when(
    client, user, password, confirmed, press, deferring_tasks
):
    other_device = log_in(Client(), user, password)
    confirmed(user)
    response = press("schedule", follow=True)
    due = User.objects.get(pk=user.pk).deletion_due_at
    assert response.redirect_chain == [("/", 302)]
    assert f"Your account will be deleted on {due.day} {due:%B %Y}." in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert sessions_of(user.pk) == []
    assert other_device.get("/profile/")["Location"] == "/accounts/login/?next=/profile/"


def test_delete_my_account_emails_when_and_how_to_keep_it(
    client, user, confirmed, press, deferring_tasks, queued_emails, settings
):
    confirmed(user)
    press("schedule")
    due = User.objects.get(pk=user.pk).deletion_due_at
    [message] = [email for email in queued_emails() if "will be deleted" in email.subject]
    assert message.to == [user.email]
    assert message.subject == f"Your Vitae account will be deleted on {due.day} {due:%B %Y}"
    assert f"{due.day} {due:%B %Y, %H:%M} (UTC)" in message.body
    assert "choose “Keep my account”" in message.body
    assert f"{settings.SITE_URL}/accounts/login/" in message.body


def test_asking_twice_keeps_the_first_date(user, deferring_tasks):
    first = schedule_account_deletion(user=user)
    second = schedule_account_deletion(user=User.objects.get(pk=user.pk))
    assert second == first
    assert len(scheduled_deletions()) == 1


def test_a_grace_period_of_zero_deletes_at_once(client, user, confirmed, press, settings, deferring_tasks):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 0
    confirmed(user)
    press("now")
    assert not User.objects.filter(pk=user.pk).exists()
    assert scheduled_deletions() == []


def test_a_save_of_a_copy_loaded_before_the_schedule_does_not_undo_it(user, deferring_tasks):
    stale_copy = User.objects.get(pk=user.pk)
    due = schedule_account_deletion(user=user)
    stale_copy.first_name = "Changed"
    stale_copy.save()
    assert User.objects.get(pk=user.pk).deletion_due_at == due


@pytest.fixture
def scheduled(user, deferring_tasks) -> User:
    schedule_account_deletion(user=user)
    return user


def test_signing_in_during_the_grace_period_lands_on_keep_or_delete(client, scheduled, password):
    log_in(client, scheduled, password)
    response = client.get("/profile/", follow=True)
    assert response.redirect_chain == [(GRACE_PAGE, 302)]
    page = response.content.decode()
    assert '<button type="submit" name="action" value="keep" class="btn btn-primary">Keep my account</button>' in page
    assert '<button type="submit" name="action" value="now" class="btn btn-outline-danger">Delete now</button>' in page
    main = page[page.index("<main") : page.index("</main>")]
    assert main.count("<button") == 2  # the two and nothing else; the header and footer keep "Log out" and the language


@pytest.mark.parametrize(
    "path",
    ["/", "/profile/", "/profile/edit/", "/accounts/email/", "/accounts/password/change/", "/accounts/sessions/",
     "/accounts/activity/", "/accounts/export/", "/accounts/delete/", "/accounts/login/", "/admin/", "/no-such-page/"],
)  # fmt: skip
def test_during_the_grace_period_every_other_page_leads_there(client, scheduled, password, path):
    log_in(client, scheduled, password)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == GRACE_PAGE
    assert client.post(path, {"email": "new@example.com"})["Location"] == GRACE_PAGE


def test_during_the_grace_period_log_out_and_the_health_check_still_work(client, scheduled, password):
    log_in(client, scheduled, password)
    assert client.get("/healthz/").status_code == 200
    assert client.post("/accounts/logout/")["Location"] == "/"
    assert client.get("/profile/")["Location"] == "/accounts/login/?next=/profile/"


def test_keep_my_account_cancels_the_deletion(client, scheduled, password, press, queued_emails):
    log_in(client, scheduled, password)
    response = press("keep", path=GRACE_PAGE, follow=True)
    assert response.redirect_chain == [("/profile/", 302)]
    assert "Your account will not be deleted." in response.content.decode()
    assert User.objects.get(pk=scheduled.pk).deletion_due_at is None
    assert scheduled_deletions() == []
    assert events_of(scheduled)[-1] == "deletion_cancelled"
    assert queued_emails()[-1].subject == "Your Vitae account will not be deleted"
    assert client.get("/accounts/email/").status_code == 200


def goodbye_emails(queued_emails) -> list:
    return [message for message in queued_emails() if message.subject == "Your Vitae account has been deleted"]


def test_delete_now_during_the_grace_period_asks_the_person_to_confirm_it_is_them(
    client, scheduled, password, press, queued_emails
):
    log_in(client, scheduled, password)  # signing in again is not a confirmation
    response = press("now", path=GRACE_PAGE)
    assert response["Location"] == GRACE_REAUTHENTICATE
    assert User.objects.get(pk=scheduled.pk).deletion_due_at is not None
    assert goodbye_emails(queued_emails) == []
    page = client.get(GRACE_REAUTHENTICATE)  # the confirmation opens, though every other page leads to the grace page
    assert page.status_code == 200
    assert "<h1>Confirm it&#x27;s you to delete your account</h1>" in page.content.decode()


def test_once_confirmed_delete_now_during_the_grace_period_deletes_at_once(
    client, scheduled, password, press, django_capture_on_commit_callbacks
):
    log_in(client, scheduled, password)
    press("now", path=GRACE_PAGE)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(GRACE_REAUTHENTICATE, {"password": password}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert DELETED in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert not User.objects.filter(pk=scheduled.pk).exists()
    assert scheduled_deletions() == []


def test_a_wrong_password_before_delete_now_says_so_and_deletes_nothing(client, scheduled, password, press):
    log_in(client, scheduled, password)
    press("now", path=GRACE_PAGE)
    response = client.post(GRACE_REAUTHENTICATE, {"password": "not my password"})
    assert response.status_code == 200
    assert "Incorrect password." in response.content.decode()
    assert User.objects.get(pk=scheduled.pk).deletion_due_at is not None
    assert press("now", path=GRACE_PAGE)["Location"] == GRACE_REAUTHENTICATE  # still asked


def test_after_a_log_in_by_emailed_code_delete_now_still_asks_for_the_password(client, scheduled, press, queued_emails):
    """A code proves only that someone reads the mailbox, not that it is the account's owner."""
    client.post("/accounts/login/code/", {"email": scheduled.email})
    [message] = [m for m in queued_emails() if "Log-in code" in m.subject]
    [code] = re.findall(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", message.body, re.M)
    client.post("/accounts/login/code/confirm/", {"code": code})
    assert client.get("/profile/")["Location"] == GRACE_PAGE  # signed in, in the grace period

    assert press("now", path=GRACE_PAGE)["Location"] == GRACE_REAUTHENTICATE
    assert User.objects.filter(pk=scheduled.pk).exists()


def test_a_person_without_a_password_confirms_delete_now_with_their_authenticator_app(
    client, user, clock, deferring_tasks, django_capture_on_commit_callbacks
):
    user.set_unusable_password()
    user.save()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    schedule_account_deletion(user=user)
    client.force_login(user)

    response = client.post(GRACE_PAGE, {"action": "now"})
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Faccounts%2Fdelete%2Fscheduled%2F"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(response["Location"], {"code": totp_code(secret, clock.now)}, follow=True)

    assert DELETED in response.content.decode()
    assert not User.objects.filter(pk=user.pk).exists()


@pytest.mark.parametrize(
    "path", ["/accounts/reauthenticate/", "/accounts/2fa/reauthenticate/", "/accounts/2fa/webauthn/reauthenticate/"]
)
def test_during_the_grace_period_every_way_to_confirm_it_is_you_stays_open(client, scheduled, password, path):
    log_in(client, scheduled, password)
    response = client.get(f"{path}?next={GRACE_PAGE}")
    # Open, or allauth's own answer (a password-only account is sent from the others to the password), never the
    # grace page's redirect.
    assert response.status_code == 200 or response["Location"].startswith("/accounts/reauthenticate/")


def test_keep_my_account_needs_no_confirmation(client, scheduled, password, press):
    log_in(client, scheduled, password)
    response = press("keep", path=GRACE_PAGE)
    assert response["Location"] == "/profile/"
    assert User.objects.get(pk=scheduled.pk).deletion_due_at is None


@pytest.mark.parametrize("page", ["/accounts/delete/", GRACE_PAGE])
def test_two_delete_now_posts_at_once_send_one_goodbye_email(
    page, make_user, password, password_confirmed, deferring_tasks, queued_emails, settings, transactional_db
):
    """A double click, or two tabs: the second post loaded the account before the first deleted it, and deletes it
    only after. It finds nothing to delete: one goodbye email, and the page the first post got, never a 500."""
    user = make_user()
    if page == GRACE_PAGE:
        schedule_account_deletion(user=user)
    first_tab = password_confirmed(log_in(Client(), user, password))
    second_tab = Client()
    second_tab.cookies[settings.SESSION_COOKIE_NAME] = first_tab.cookies[settings.SESSION_COOKIE_NAME].value
    first_answers = []

    def first_tab_deletes_meanwhile(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # Right after the second post loaded the signed-in user, the whole first post runs and commits.
        if not first_answers and sql.startswith('SELECT "accounts_user"'):
            first_answers.append(None)
            first_answers[0] = first_tab.post(page, {"action": "now"})
        return result

    with connection.execute_wrapper(first_tab_deletes_meanwhile):
        second_answer = second_tab.post(page, {"action": "now"}, follow=True)

    assert [(answer.status_code, answer["Location"]) for answer in first_answers] == [(302, "/")]
    assert second_answer.redirect_chain == [("/", 302)]
    assert DELETED in second_answer.content.decode()
    assert not User.objects.filter(pk=user.pk).exists()
    assert [message.to for message in goodbye_emails(queued_emails)] == [[user.email]]


def test_the_grace_page_sends_anyone_not_leaving_to_their_profile(client, user):
    client.force_login(user)
    assert client.get(GRACE_PAGE)["Location"] == "/profile/"
    client.post(GRACE_PAGE, {"action": "now"})
    assert User.objects.filter(pk=user.pk).exists()


def test_the_grace_page_is_for_signed_in_people_only(client, db):
    assert client.get(GRACE_PAGE)["Location"] == f"/accounts/login/?next={GRACE_PAGE}"


# --- What the grace period's check costs --------------------------------------------------------------

GRACE_MIDDLEWARE = "accounts.middleware.ScheduledDeletionMiddleware"


@pytest.mark.parametrize("path", ["/", "/profile/", "/profile/edit/", "/accounts/email/", "/accounts/activity/"])
def test_ordinary_signed_in_pages_cost_no_extra_query(user, settings, path, django_assert_num_queries):
    # A client builds its middleware at its first request: one client without the check, one with it.
    with override_settings(MIDDLEWARE=[name for name in settings.MIDDLEWARE if name != GRACE_MIDDLEWARE]):
        without_the_check = Client()
        without_the_check.force_login(user)
        with CaptureQueriesContext(connection) as baseline:
            status = without_the_check.get(path).status_code
    assert status == (302 if path == "/" else 200)  # the home page sends a signed-in person to their profile
    with_the_check = Client()
    with_the_check.force_login(user)
    with django_assert_num_queries(len(baseline)):
        assert with_the_check.get(path).status_code == status
    assert GRACE_MIDDLEWARE in settings.MIDDLEWARE


def test_anonymous_visitors_cost_no_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_the_health_check_of_a_signed_in_browser_loads_no_user(client, user):
    client.force_login(user)
    # The check's own queries write its row (web/views.py); none may read the session or the user.
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/healthz/").status_code == 200
    tables = (User._meta.db_table, "django_session")
    assert [query["sql"] for query in queries if any(table in query["sql"] for table in tables)] == []


# --- The task ------------------------------------------------------------------------------------


def make_due(user: User) -> None:
    User.objects.filter(pk=user.pk).update(deletion_due_at=timezone.now() - timedelta(seconds=1))


def test_keep_my_account_a_moment_too_late_says_the_account_is_gone(client, scheduled, password):
    """The task deleted the account (its time had come) between the page's check and the cancellation."""
    log_in(client, scheduled, password)
    interleaved = []

    def deletion_runs_first(execute, sql, params, many, context):
        if not interleaved and sql.startswith('UPDATE "accounts_user" SET "deletion_due_at" = NULL'):
            interleaved.append(sql)
            make_due(scheduled)
            delete_account_when_due.call(user_id=scheduled.pk)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(deletion_runs_first):
        response = client.post(GRACE_PAGE, {"action": "keep"}, follow=True)

    assert interleaved
    assert response.redirect_chain == [("/", 302)]
    assert DELETED in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert not User.objects.filter(pk=scheduled.pk).exists()


def test_the_task_deletes_an_account_whose_time_has_come(
    user_with_cv, media_root, deferring_tasks, django_capture_on_commit_callbacks, queued_emails
):
    schedule_account_deletion(user=user_with_cv)
    make_due(user_with_cv)
    with django_capture_on_commit_callbacks(execute=True):
        delete_account_when_due.call(user_id=user_with_cv.pk)
    assert not User.objects.filter(pk=user_with_cv.pk).exists()
    assert queued_emails()[-1].subject == "Your Vitae account has been deleted"
    [cleanup] = DBTaskResult.objects.filter(task_path="accounts.tasks.delete_stored_files")
    assert cleanup.args_kwargs["kwargs"]["names"] == [user_with_cv.cv.name]  # the file goes after the commit


def test_the_task_leaves_a_kept_account_alone(user, deferring_tasks):
    schedule_account_deletion(user=user)
    make_due(user)
    cancel_account_deletion(user=User.objects.get(pk=user.pk))
    delete_account_when_due.call(user_id=user.pk)  # it had started before "Keep my account" removed it
    assert User.objects.filter(pk=user.pk).exists()


def test_the_task_leaves_an_account_due_later_alone(user, deferring_tasks):
    """Kept, then deletion asked for again: the first task finds a later date and leaves it to the second."""
    schedule_account_deletion(user=user)
    delete_account_when_due.call(user_id=user.pk)
    assert User.objects.get(pk=user.pk).deletion_due_at is not None


def test_the_task_for_an_account_already_gone_does_nothing(user, deferring_tasks, caplog):
    user_id = user.pk
    user.delete()
    delete_account_when_due.call(user_id=user_id)
    assert [
        record.reason for record in caplog.records if getattr(record, "event", "") == "account_deletion_skipped"
    ] == ["gone"]


# --- The admin ------------------------------------------------------------------------------------


def test_admin_bulk_delete_removes_every_users_file(
    client, make_user, cv_upload, media_root, django_capture_on_commit_callbacks
):
    admin = make_user(is_staff=True, is_superuser=True)
    people = []
    for name in ("one.pdf", "two.docx", "three.odt"):
        person = make_user()
        person.cv = cv_upload(name)
        person.save()
        people.append(person)
    assert len(stored_files(media_root)) == 3
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "delete_selected", "_selected_action": [p.pk for p in people], "post": "yes"},
        )

    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[p.pk for p in people]).exists()
    assert stored_files(media_root) == []


def test_admin_delete_of_one_user_removes_their_file(
    client, make_user, user_with_cv, media_root, django_capture_on_commit_callbacks
):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_user_delete", args=[user_with_cv.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user_with_cv.pk).exists()
    assert stored_files(media_root) == []
