"""Query budgets of the pages everyone sees (issue 17): the signed-out pages read nothing from the database, a
signed-in profile reads its session and its user. `make bench` shows the same counts against its own database."""

import pytest


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/"])
def test_a_signed_out_page_costs_no_query(client, db, url, django_assert_num_queries):
    # The log-in and sign-up budget is one query; today they need none (a form's CSRF token is a cookie).
    with django_assert_num_queries(0):
        response = client.get(url)

    assert response.status_code == 200


def test_the_signed_in_profile_costs_at_most_its_session_and_its_user(client, user, django_assert_max_num_queries):
    client.force_login(user)

    with django_assert_max_num_queries(2):
        response = client.get("/profile/")

    assert response.status_code == 200
    assert user.email in response.content.decode()
