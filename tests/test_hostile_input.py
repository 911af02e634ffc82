"""No input to any form of the site gives a server error: every field of every form, with hostile values."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.client import ClientHandler
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from testkit.hostile import HOSTILE_VALUES, form_body
from testkit.people import PASSWORD

NEW_PASSWORD = "another long password 2"
HANDLER = ClientHandler(enforce_csrf_checks=False)

pytestmark = pytest.mark.django_db

# Text of every kind, including what is not text at all: lone surrogates, control and format characters, marks.
ANY_CHARACTER = st.one_of(
    st.characters(),
    st.characters(categories=["Cs"]),
    st.characters(categories=["Cc", "Cf", "Mn", "Zs", "Co"]),
    st.sampled_from("@\"'<>.\\()[]:;,% \x00"),
)
# Values a form accepts, so that hostile ones in the other fields meet the deeper checks too.
PLAUSIBLE = ["person@example.com", PASSWORD, NEW_PASSWORD, "on", "true", "1", "2026-01-01", "00:00:00"]
HOSTILE = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.sampled_from(PLAUSIBLE),
    st.text(ANY_CHARACTER, max_size=400),
    st.builds(lambda local, domain: f"{local}@{domain}", st.text(ANY_CHARACTER, max_size=80), st.text(max_size=80)),
    st.binary(max_size=300),
)


@dataclass
class FormTarget:
    """A form as a visitor meets it: who they are, where it posts, what its buttons send, and its fields with a
    value it accepts (None: left out), so that a hostile value in one field meets the checks behind the others."""

    path: Callable[[Client], str]
    valid: dict[str, str | None]
    as_user: Callable[[], User | None] = lambda: None
    buttons: dict[str, str] = field(default_factory=dict)
    confirmed: bool = False  # the person has just confirmed their password, as sensitive forms ask first

    # The session of the person signed in (and confirmed), kept by whose it is: a fresh visitor gets a copy of it.
    signed_in_session: tuple[tuple, dict] | None = None

    @property
    def fields(self) -> list[str]:
        return list(self.valid)

    def visitor(self) -> Client:
        """A fresh visitor each time, with no half-finished sign-up or reset in the session; signed in as the form's
        person (and their password just confirmed) if it asks for one. Logging in is done once for each version of
        the person (a post may change their password, or delete and so replace them); later visitors get a new
        session holding the same, as a second browser logged in the same way would."""
        client = Client()
        user = self.as_user()
        if user is None:
            return client
        whose = (user.pk, user.get_session_auth_hash())
        if self.signed_in_session is None or self.signed_in_session[0] != whose:
            client.force_login(user)
            if self.confirmed:
                assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
            self.signed_in_session = (whose, client.session.load())
            return client
        session = import_module(django_settings.SESSION_ENGINE).SessionStore()
        session.update(self.signed_in_session[1])
        session.save()
        client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
        return client

    def post(self, values: dict[str, str | bytes]) -> HttpResponse:
        """Post ``values`` as the visitor, to the handler a server calls (the test client's own, minus the client's
        record of every template rendered, a copy of each context: a quarter of this module's time, and only the
        status is asserted here). An exception in a view is the 500 a server answers, its traceback logged."""
        client = self.visitor()
        factory = RequestFactory()
        factory.cookies = client.cookies
        body = form_body({**self.buttons, **values})
        request = factory.generic("POST", self.path(client), body, content_type="application/x-www-form-urlencoded")
        return HANDLER(request.environ)

    def bodies_with(self, value: str | bytes) -> list[dict[str, str | bytes]]:
        """``value`` in every field at once, then in each field alone with every other as the form accepts it; each
        distinct body once (for a form of one field, the two are the same)."""
        valid = {other: accepted for other, accepted in self.valid.items() if accepted is not None}
        bodies = [dict.fromkeys(self.fields, value), *({**valid, name: value} for name in self.fields)]
        return [body for i, body in enumerate(bodies) if body not in bodies[:i]]


@pytest.fixture
def forms(make_user) -> dict[str, FormTarget]:
    admin = make_user(email="admin@example.com", is_staff=True, is_superuser=True)
    someone = make_user(email="someone@example.com")

    def signed_in() -> User:
        """The person as stored now; again if "Delete now" on the deletion form removed them."""
        return User.objects.filter(email="person@example.com").first() or make_user(email="person@example.com")

    person = signed_in()
    # Two-factor on (an authenticator app and its recovery codes); and someone with a security key to rename.
    two_factor = make_user(email="twofactor@example.com")
    TOTP.activate(two_factor, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    RecoveryCodes.activate(two_factor)
    key_holder = make_user(email="keyholder@example.com")
    key = Authenticator.objects.create(user=key_holder, type=Authenticator.Type.WEBAUTHN, data={"name": "Key"})

    def after_password(email: str) -> Callable[[Client], str]:
        """The two-factor step: the password is accepted, the second factor is asked."""

        def path(client: Client) -> str:
            client.post("/accounts/login/", {"login": email, "password": PASSWORD})
            return "/accounts/2fa/authenticate/"

        return path

    def code_requested(client: Client) -> str:
        client.post("/accounts/login/code/", {"email": "person@example.com"})
        return "/accounts/login/code/confirm/"

    def loaded(path: str, **headers: str) -> Callable[[Client], str]:
        """The page loaded first, as a browser does: the secret or the key's challenge is then in the session."""

        def load(client: Client) -> str:
            client.get(path, headers=headers)
            return path

        return load

    def leaving() -> User:
        """Someone whose deletion waits out its grace period (again, if the last post kept or deleted it)."""
        someone_leaving = User.objects.filter(email="leaving@example.com").first() or make_user(
            email="leaving@example.com"
        )
        User.objects.filter(pk=someone_leaving.pk).update(deletion_due_at=timezone.now() + timedelta(days=7))
        return User.objects.get(pk=someone_leaving.pk)

    def reset_form_path(client: Client) -> str:
        # A fresh key each time: a hostile value that is a valid password changes it, and the old key with it.
        person = signed_in()
        key = f"{user_pk_to_url_str(person)}-{default_token_generator.make_token(person)}"
        return client.get(f"/accounts/password/reset/key/{key}/")["Location"]

    def at(path: str) -> Callable[[Client], str]:
        return lambda client: path

    new_passwords = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    admin_change = {
        "email": someone.email,
        "first_name": "Sam",
        "last_name": "",
        "is_active": "on",
        "is_staff": None,
        "is_superuser": None,
        "groups": None,
        "user_permissions": None,
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "last_login_0": None,
        "last_login_1": None,
    }
    return {
        "sign-up": FormTarget(
            at("/accounts/signup/"), {"email": "newcomer@example.com", "password1": PASSWORD, "password2": PASSWORD}
        ),
        "log-in": FormTarget(
            at("/accounts/login/"), {"login": "person@example.com", "password": PASSWORD, "remember": "on"}
        ),
        "reset": FormTarget(at("/accounts/password/reset/"), {"email": "person@example.com"}),
        "reset from key": FormTarget(reset_form_path, new_passwords),
        "email add": FormTarget(
            at("/accounts/email/"), {"email": "new@example.com"}, signed_in, {"action_add": ""}, confirmed=True
        ),
        "email remove": FormTarget(
            at("/accounts/email/"), {"email": "person@example.com"}, signed_in, {"action_remove": ""}, confirmed=True
        ),
        "email primary": FormTarget(
            at("/accounts/email/"), {"email": "person@example.com"}, signed_in, {"action_primary": ""}, confirmed=True
        ),
        "email resend": FormTarget(
            at("/accounts/email/"), {"email": "person@example.com"}, signed_in, {"action_send": ""}
        ),
        "password change": FormTarget(
            at("/accounts/password/change/"), {"oldpassword": PASSWORD, **new_passwords}, signed_in
        ),
        "profile edit": FormTarget(
            at("/profile/edit/"), {"first_name": "Ada", "last_name": "Lovelace", "remove_cv": None}, signed_in
        ),
        "deletion": FormTarget(at("/accounts/delete/"), {"action": "now"}, signed_in, confirmed=True),
        "deletion in its grace period": FormTarget(at("/accounts/delete/scheduled/"), {"action": "keep"}, leaving),
        "reauthenticate": FormTarget(at("/accounts/reauthenticate/"), {"password": PASSWORD}, signed_in),
        "reauthenticate with a code": FormTarget(
            at("/accounts/2fa/reauthenticate/"), {"code": None}, lambda: two_factor
        ),
        "log-in code request": FormTarget(at("/accounts/login/code/"), {"email": "person@example.com"}),
        "log-in code entry": FormTarget(code_requested, {"code": None, "action": None}),
        "two-factor step": FormTarget(after_password(two_factor.email), {"code": None, "credential": None}),
        "authenticator app activation": FormTarget(
            loaded("/accounts/2fa/totp/activate/"), {"code": None}, signed_in, confirmed=True
        ),
        "security key addition": FormTarget(
            loaded("/accounts/2fa/webauthn/add/"),
            {"name": "My key", "passwordless": None, "credential": None},
            signed_in,
            confirmed=True,
        ),
        "security key renaming": FormTarget(
            at(f"/accounts/2fa/webauthn/keys/{key.pk}/edit/"), {"name": "Renamed"}, lambda: key_holder, confirmed=True
        ),
        "passkey log-in": FormTarget(
            loaded("/accounts/2fa/webauthn/login/", Accept="application/json"), {"credential": None}
        ),
        "admin add user": FormTarget(
            at("/admin/accounts/user/add/"),
            {"email": "added@example.com", "usable_password": "true", "password1": PASSWORD, "password2": PASSWORD},
            lambda: admin,
        ),
        "admin change user": FormTarget(at(f"/admin/accounts/user/{someone.pk}/change/"), admin_change, lambda: admin),
        "admin add email address": FormTarget(
            at("/admin/accounts/accountemailaddress/add/"),
            {"user": str(person.pk), "email": "extra@example.com", "verified": None, "primary": None},
            lambda: admin,
        ),
    }


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    """Every post must reach the form's own validation, not stop at a limit after a few tries (the passkey log-in has
    a limit of its own, ten a minute from one address)."""
    settings.ACCOUNT_RATE_LIMITS = False
    settings.MFA_RATE_LIMITS = False


FORM_NAMES = [
    "sign-up",
    "log-in",
    "reset",
    "reset from key",
    "email add",
    "email remove",
    "email primary",
    "email resend",
    "password change",
    "profile edit",
    "deletion",
    "deletion in its grace period",
    "reauthenticate",
    "reauthenticate with a code",
    "log-in code request",
    "log-in code entry",
    "two-factor step",
    "authenticator app activation",
    "security key addition",
    "security key renaming",
    "passkey log-in",
    "admin add user",
    "admin change user",
    "admin add email address",
]


# Where a post lands that never met its form: the log-in page (not signed in), the confirmation page (not confirmed).
STOPPED_SHORT = ("/accounts/login/?", "/accounts/reauthenticate/", "/admin/login/")


@pytest.mark.parametrize("form", FORM_NAMES)
def test_every_hostile_value_in_every_field_is_answered_without_a_server_error(forms, form):
    target = forms[form]
    for value in HOSTILE_VALUES:
        for body in target.bodies_with(value):
            response = target.post(body)
            assert response.status_code < 500, body
            # Signed in and confirmed as the form asks: the post met the form, not the log-in or confirmation page.
            assert not response.get("Location", "").startswith(STOPPED_SHORT), (body, response["Location"])


@pytest.mark.parametrize("form", FORM_NAMES)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_mix_of_hostile_values_is_answered_without_a_server_error(forms, form, data):
    target = forms[form]
    values = data.draw(st.fixed_dictionaries({name: HOSTILE for name in target.fields}))
    response = target.post(values)
    assert response.status_code < 500
    assert not response.get("Location", "").startswith(STOPPED_SHORT), response["Location"]
