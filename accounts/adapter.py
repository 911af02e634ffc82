"""allauth's account adapter: every email allauth sends goes through the site's outbox, with links from SITE_URL and in
the person's language; every address it takes is in its canonical form; the client's address is the one the trusted
proxies forwarded, never a server error; failed log-ins count per client address and, for strangers, per account."""

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import BaseForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from mail.outbox import send_email
from security import activity, login_limits
from security.browsers import browser_name, translated_browser_name_lazy
from security.clients import address_behind_proxies

from .email_addresses import canonical_email
from .language import recipient_language, supported_language
from .models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteFromSettings:
    """What allauth's email templates read as ``current_site``: the site's name and SITE_URL's host and port."""

    name: str
    domain: str


def on_site_url(url: str) -> str:
    """``url`` with the scheme, host and port of SITE_URL, whatever Host header the request came with."""
    parts = urlsplit(url)
    return settings.SITE_URL + urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))


def is_absolute_link(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


# allauth mails this note, not a link, when a reset or a log-in code is asked for an address with no account.
UNKNOWN_ACCOUNT_NOTICE = "account/email/unknown_account"
# allauth mails this code only to an account's own address (for another, the note above).
LOGIN_CODE = "account/email/login_code"
UNKNOWN_ACCOUNT_NOTICE_INTERVAL = 24 * 60 * 60


def first_unknown_account_notice_today(email: str) -> bool:
    """True once per address in 24 hours (and remembered, atomically): the one unknown-account notice it may get.

    Anyone can ask a reset or a log-in code for any address, and each request mails it a note: the hourly rate
    limits would still let a stranger send a mailbox that has no account here hundreds of notes a day. One a
    day tells its owner all there is to tell. ``cache.add`` is atomic in every cache the site uses (database,
    Redis), so of two requests at once only one sends. The key is a digest: the cache keeps no address of
    someone who is not a member.
    """
    digest = hashlib.sha256(canonical_email(email).encode()).hexdigest()
    return cache.add(f"accounts:unknown-account-notice:{digest}", True, timeout=UNKNOWN_ACCOUNT_NOTICE_INTERVAL)


class AccountAdapter(DefaultAccountAdapter):
    # --- Emails: queued, and every link and host in them from SITE_URL ------------------------------

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render as allauth does, but with SITE_URL's links, and leave through the site's one way out for email.

        allauth builds links from the request (``build_absolute_uri``), so a Host header the site accepts
        (another allowed name, another port) would reach the email. Every flow's mail passes this one door:
        each absolute link in its context is moved onto SITE_URL, and ``current_site`` is SITE_URL's, not the
        request's. An address with no account gets allauth's unknown-account notice at most once a day.
        """
        request = allauth_context.request
        language = recipient_language(email, context.get("user"))
        site = SiteFromSettings(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)
        links = {key: on_site_url(value) for key, value in context.items() if is_absolute_link(value)}
        site_context = {"current_site": site, "site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
        full_context = {"request": request, "email": email, **context, **links, **site_context}
        if template_prefix == UNKNOWN_ACCOUNT_NOTICE and not first_unknown_account_notice_today(email):
            # Rendered all the same, then dropped: the request takes the time a sent email takes, so that the
            # response time does not tell an address without an account from one with (enumeration).
            with translation.override(language or translation.get_language()):
                self.render_mail(template_prefix, email, full_context)
            logger.info("unknown-account notice not sent again", extra={"event": "unknown_account_notice_held_back"})
            return
        if template_prefix == LOGIN_CODE:
            # allauth sends no signal for it: the one place a code leaves is here, a line in the account's activity.
            activity.record_login_code_sent(request=request, email=email)
        # Times in the person's zone where the email carries its account (a notice); else UTC.
        time_zone = getattr(context.get("user"), "time_zone", None)
        send_email(
            template_prefix,
            to=email,
            context=full_context,
            language=language,
            time_zone=time_zone,
            render=self.render_mail,
        )

    def send_notification_mail(
        self, template_prefix: str, user: AbstractBaseUser, context: dict | None = None, email: str | None = None
    ) -> None:
        """allauth's notice of a change to the account, in the person's language and time zone, naming the browser as
        every page does, linking to where they review it (their security activity, or their two-factor authentication).
        """
        # The user goes along so that send_mail writes in their language (allauth's notices carry no user). The
        # browser's name is put into that language as the message is rendered: "Firefox auf Linux"; allauth's own
        # templates read it as "user_agent", the site's as "browser".
        browser = translated_browser_name_lazy(browser_name(self.request))
        extra = {
            "activity_url": on_site_url(reverse("account_activity")),
            "two_factor_url": on_site_url(reverse("mfa_index")),
            "user": user,
            "browser": browser,
            "user_agent": browser,
        }
        super().send_notification_mail(template_prefix, user, {**extra, **(context or {})}, email)

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation) -> str:
        return on_site_url(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site_url(super().get_reset_password_from_key_url(key))

    def get_http_user_agent(self, request: HttpRequest) -> str:
        """The browser allauth's notices name ("Browser: …"): a name from security/browsers.py, never header text."""
        return browser_name(request)

    # --- The client's address -------------------------------------------------------------------------

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's rate limits and sessions and our activity log use: the peer's, or behind the proxies
        of DJANGO_TRUSTED_PROXIES the client's as they forwarded it (security/clients.py); never a server error.

        allauth's own reads X-Forwarded-For from any peer (ALLAUTH_TRUSTED_PROXY_COUNT counts entries, it does not
        know who wrote them), so a client could pick the address its failed log-ins are counted against.
        """
        ip = address_behind_proxies(request)
        if ip is None:
            raise PermissionDenied("Unable to determine client IP address")  # allauth's answer: a 403, not a 500
        return ip

    # --- Failed log-ins: per client address apart, per account for strangers only (security/login_limits.py) -------

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Count a password about to be checked against the client address, then (allauth) against the account; a right
        password rolls both back (``_rollback_login_failed_rl_usage``)."""
        self._address_attempt = login_limits.count_attempt_from_address(request)
        if self._address_attempt is None:
            raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)

    def _rollback_login_failed_rl_usage(self) -> None:
        # allauth's hook for a right password: it rolls back the account's count; the address's goes with it.
        super()._rollback_login_failed_rl_usage()
        if attempt := getattr(self, "_address_attempt", None):
            attempt.rollback()

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """The account's failed log-ins (allauth's key: the address typed), counted apart for a browser it knows.

        The hook allauth's maintainers point to for keying this limit (django-allauth#3584); allauth uses the key to
        count and, after a password reset, to clear. Owners as a reset link finds them: an address someone merely added
        to their own account, unverified, must not let that person's browsers count apart against it.
        """
        key = super()._get_login_attempts_cache_key(request, **credentials)
        email = credentials.get("email")
        owners = User.objects.owners_of_address(email) if email else User.objects.none()
        return login_limits.account_key(request, key=key, owners=owners)

    # --- Addresses: one canonical form ---------------------------------------------------------------

    def clean_email(self, email: str) -> str:
        """Every address allauth takes (sign-up, adding one, reset) in its canonical form, or refused."""
        return canonical_email(email)

    def save_user(self, request: HttpRequest, user: AbstractBaseUser, form: BaseForm, commit: bool = True) -> User:
        user = cast(User, super().save_user(request, user, form, commit=False))
        # allauth's user_field() cuts a value to the column's width; the address is set whole (the form has
        # refused anything longer than the column) so that no shortened address can ever be stored.
        user.email = canonical_email(form.cleaned_data["email"])
        # Set here, before the insert, not by a user_signed_up receiver: the welcome email is rendered in the
        # transaction that creates the row (accounts/signals.py), so the language must be on the row already.
        user.language = supported_language(translation.get_language())
        # The zone the sign-up page's script read from the browser (accounts.forms.SignupForm; UTC if none).
        user.time_zone = form.cleaned_data.get("time_zone") or user.time_zone
        if commit:
            user.save()
        return user

    # --- Verification: a verified address belongs to one account only -------------------------------

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        """Verify the address, unless another account signed up with it; then drop its unverified copies elsewhere.

        An address someone added to their account without verifying it never belongs to them: once its owner
        verifies it (on the account they signed up with), the copies pending on other accounts are removed,
        so that no reset, verification or log-in can reach those accounts through it.
        """
        if User.objects.filter(email=email_address.email).exclude(pk=email_address.user_id).exists():
            # The address is another account's sign-up address: verifying it here would take it from them.
            self.add_message(
                request,
                messages.ERROR,
                "account/messages/email_confirmation_failed.txt",
                {"email": email_address.email},
            )
            return False
        with transaction.atomic():
            confirmed = super().confirm_email(request, email_address)
            if confirmed:
                EmailAddress.objects.filter(email=email_address.email, verified=False).exclude(
                    user_id=email_address.user_id
                ).delete()
        return confirmed
