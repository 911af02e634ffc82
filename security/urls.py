"""URLs of security's own pages, under /accounts/ beside allauth's. The activity and the sessions pages (allauth's
view with the site's order and names, at allauth's path and name) are wired in config/urls.py, which keeps them per
version of the person."""

from django.urls import path

from . import views

urlpatterns = [
    path("sessions/<int:pk>/logout/", views.EndSessionView.as_view(), name="account_end_session"),
]
