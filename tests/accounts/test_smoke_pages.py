"""Every public page renders for an anonymous visitor."""

import pytest


@pytest.mark.parametrize("url", ["/", "/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"])
def test_public_pages_render(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    assert b'<html lang="en">' in response.content
