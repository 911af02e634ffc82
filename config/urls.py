"""Root URLs: wiring only."""

from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from allauth.mfa.base import views as mfa_views
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path
from django.utils import timezone

from accounts import views as accounts_views
from accounts.time_zones import this_quarter_hour
from accounts.views import set_language
from profiles.views import HomeView, ProfileEditView, ProfileView
from security.views import ActivityView, SessionListView
from web.page_cache import render_once_for_signed_out_visitors as same_for_everyone
from web.page_cache import render_once_per_version_of_the_person as same_until_the_person_changes
from web.views import healthz, server_error


def quarter_hour(request: HttpRequest) -> str:
    return this_quarter_hour().isoformat()


def today(request: HttpRequest) -> str:
    return timezone.now().date().isoformat()


def session_and_minute(request: HttpRequest) -> str:
    return f"{request.session.session_key}|{timezone.now():%Y-%m-%dT%H:%M}"


# The admin has no log-in of its own: /admin/login/ goes through allauth's, with its rate limits.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = f"{settings.SITE_NAME} administration"
admin.site.site_title = settings.SITE_NAME

urlpatterns = [
    path("", same_for_everyone(HomeView.as_view()), name="home"),
    # allauth's entrance pages, rendered once per worker for signed-out visitors (web/page_cache.py);
    # the same paths and names as allauth's own, listed first so that they answer. The log-in page is allauth's,
    # but never sends a visitor back to a log-in left half-way (accounts/views.py).
    path("accounts/login/", same_for_everyone(accounts_views.login), name="account_login"),
    path("accounts/signup/", same_for_everyone(allauth_views.signup), name="account_signup"),
    path("accounts/password/reset/", same_for_everyone(allauth_views.password_reset), name="account_reset_password"),
    # A person's profile and its form show their row and nothing else: kept per version of it (web/page_cache.py).
    path("profile/", same_until_the_person_changes(ProfileView.as_view()), name="profile"),
    path(
        "profile/edit/",
        # The form also shows each time zone's offset, which changes with summer time.
        same_until_the_person_changes(ProfileEditView.as_view(), varies_with=quarter_hour),
        name="profile_edit",
    ),
    # allauth's pages and security's that show the person's other rows: each change to one raises the revision on
    # the person's row (accounts/revisions.py). The same paths and names as their own, listed before
    # them so that these answer.
    path("accounts/email/", same_until_the_person_changes(allauth_views.email), name="account_email"),
    path("accounts/2fa/", same_until_the_person_changes(mfa_views.index), name="mfa_index"),
    # The events of the last 90 days, counted in whole days.
    path(
        "accounts/activity/",
        same_until_the_person_changes(ActivityView.as_view(), varies_with=today),
        name="account_activity",
    ),
    path(
        "accounts/sessions/",
        # "This browser" is the session's own; "5 minutes ago" is true for a minute; an expired session leaves
        # within one.
        same_until_the_person_changes(SessionListView.as_view(), varies_with=session_and_minute),
        name="usersessions_list",
    ),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("security.urls")),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("profiles.urls")),
    path("admin/", admin.site.urls),
    # Django's set_language, which also saves a signed-in person's choice on their account.
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz/", healthz, name="healthz"),
]

handler500 = server_error
