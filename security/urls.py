"""URLs of security's own pages, under /accounts/ beside allauth's."""

from django.urls import path

from . import views

urlpatterns = [
    path("activity/", views.ActivityView.as_view(), name="account_activity"),
]
