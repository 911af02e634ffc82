"""The user manager creates and finds users by email, whatever its case."""

import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_create_user_by_email_lowercases_the_address_and_hashes_the_password():
    user = User.objects.create_user(email="  Ada@Example.COM ", password="a long password 1")
    assert user.email == "ada@example.com"
    assert user.check_password("a long password 1")
    assert user.password.startswith("md5$")  # the test hasher; production uses Argon2 first
    assert not user.is_staff and not user.is_superuser


def test_create_user_without_email_is_refused():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user(email="", password="x")


def test_create_superuser_sets_staff_and_superuser():
    admin = User.objects.create_superuser(email="root@example.com", password="a long password 1")
    assert admin.is_staff and admin.is_superuser


def test_create_superuser_refuses_non_staff():
    with pytest.raises(ValueError):
        User.objects.create_superuser(email="root@example.com", password="x", is_staff=False)


def test_the_same_address_in_another_case_cannot_be_stored_twice():
    User.objects.create_user(email="ada@example.com", password="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ADA@example.com")


def test_authentication_finds_the_user_whatever_the_case_of_the_email():
    User.objects.create_user(email="ada@example.com", password="a long password 1")
    assert authenticate(username="ADA@EXAMPLE.com", password="a long password 1") is not None


def test_user_model_has_no_username():
    assert User.USERNAME_FIELD == "email"
    assert "username" not in {field.name for field in User._meta.get_fields()}
