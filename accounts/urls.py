"""URLs of accounts' own pages; allauth's are included beside these under /accounts/."""

from django.urls import path

from . import views

urlpatterns = [
    path("delete/", views.DeleteAccountView.as_view(), name="account_delete"),
    path("delete/scheduled/", views.ScheduledDeletionView.as_view(), name="account_deletion_scheduled"),
    path("export/", views.export_view, name="account_export"),
    # allauth's own addresses, answered by its views made to let an unfinished log-in go (accounts/views.py).
    path("login/code/", views.request_login_code, name="account_request_login_code"),
]
