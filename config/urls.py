"""Root URLs: wiring only."""

from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from accounts.views import set_language
from profiles.views import HomeView
from web.page_cache import render_once_for_signed_out_visitors as same_for_everyone
from web.views import healthz, server_error

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
