"""URLs of security's own pages, under /accounts/ beside allauth's (listed before allauth's: the sessions page is
allauth's view with the site's order and names, at allauth's path and name)."""

from django.urls import path

from . import views

urlpatterns = [
    path("activity/", views.ActivityView.as_view(), name="account_activity"),
    path("sessions/", views.SessionListView.as_view(), name="usersessions_list"),
    path("sessions/<int:pk>/logout/", views.EndSessionView.as_view(), name="account_end_session"),
]
