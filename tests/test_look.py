"""One voice and one look: page titles with the site's name, the home page, the account section, empty states,
the entrance card, the favicon and the colour theme's scripts, as a visitor's browser receives them."""

import re

import pytest
from django.test import RequestFactory

from security.models import SecurityEvent
from web.views import server_error


def title_of(response) -> str:
    """The page's title as a browser shows it: whitespace collapsed."""
    match = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert match, "the page has no <title>"
    return " ".join(match.group(1).split())


def head_of(response) -> str:
    page = response.content.decode()
    return page[: page.index("</head>")]


# --- The site's name ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/", "Your CV, kept safe · Vitae"),
        ("/no-such-page/", "Page not found · Vitae"),
    ],
)
def test_public_pages_are_titled_page_then_site_name(client, db, url, title):
    assert title_of(client.get(url)) == title


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/profile/", "Your profile · Vitae"),
        ("/profile/edit/", "Edit your profile · Vitae"),
        ("/accounts/activity/", "Security activity · Vitae"),
    ],
)
def test_the_sites_own_account_pages_are_titled_page_then_site_name(client, user, url, title):
    client.force_login(user)
    assert title_of(client.get(url)) == title


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/signup/",
        "/accounts/login/",
        "/accounts/password/reset/",
        "/accounts/login/code/",
    ],
)
def test_allauths_pages_are_titled_page_then_site_name(client, db, url):
    title = title_of(client.get(url))
    page, _, site = title.rpartition(" · ")
    assert site == "Vitae"
    assert page and "·" not in page, title


@pytest.mark.parametrize(
    "url", ["/accounts/email/", "/accounts/password/change/", "/accounts/2fa/", "/accounts/sessions/"]
)
def test_allauths_account_pages_are_titled_page_then_site_name(client, user, url):
    client.force_login(user)
    title = title_of(client.get(url))
    page, _, site = title.rpartition(" · ")
    assert site == "Vitae"
    assert page and "·" not in page, title


def test_the_site_name_comes_from_settings(client, db, settings):
    settings.SITE_NAME = "Lebenslauf & Co"
    response = client.get("/")
    assert title_of(response) == "Your CV, kept safe · Lebenslauf &amp; Co"
    brand = r'<a class="navbar-brand" href="/">\s*<img [^>]*>Lebenslauf &amp; Co</a>'
    assert re.search(brand, response.content.decode())


def test_the_site_name_costs_no_query(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/")
    assert "· Vitae</title>" in response.content.decode()


def test_the_server_error_page_has_the_site_name_and_asks_the_database_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert title_of(response) == "Server error · Vitae"


# --- One voice -----------------------------------------------------------------------------------


def test_the_navigation_says_sign_up_and_log_in(client, db):
    page = client.get("/").content.decode()
    navigation = page[page.index('<nav class="navbar') : page.index("</nav>")]
    assert '<a class="nav-link" href="/accounts/signup/">Sign up</a>' in navigation
    assert '<a class="nav-link" href="/accounts/login/">Log in</a>' in navigation


def test_the_navigation_says_log_out_to_a_signed_in_person(client, user):
    client.force_login(user)
    page = client.get("/profile/").content.decode()
    assert re.search(r'<button type="submit" class="btn btn-link nav-link">Log out</button>', page)


# --- The home page ---------------------------------------------------------------------------------


def test_the_home_page_says_what_the_site_is_for_and_offers_sign_up_and_log_in(client, db):
    page = client.get("/").content.decode()
    assert "<h1" in page and "Vitae keeps your CV and profile in one safe place</h1>" in page
    main = page[page.index("<main") : page.index("</main>")]
    assert re.search(r'<a class="btn btn-primary btn-lg" href="/accounts/signup/">Sign up</a>', main)
    assert re.search(r'<a class="btn btn-outline-secondary btn-lg" href="/accounts/login/">Log in</a>', main)


def test_the_home_page_sends_a_signed_in_person_to_their_profile(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/profile/"


# --- The account section -------------------------------------------------------------------------


def account_navigation(response) -> str:
    page = response.content.decode()
    start = page.index('<nav class="navbar navbar-expand-md account-nav')
    return page[start : page.index("</nav>", start)]


@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("/profile/", "Profile"),
        ("/accounts/email/", "Email addresses"),
        ("/accounts/password/change/", "Password"),
        ("/accounts/2fa/", "Two-factor authentication and passkeys"),
        ("/accounts/sessions/", "Sessions"),
        ("/accounts/activity/", "Security activity"),
    ],
)
def test_every_account_page_has_the_side_navigation_marking_where_you_are(client, user, url, current):
    client.force_login(user)
    navigation = account_navigation(client.get(url))
    marked = re.findall(r'<a class="nav-link active" aria-current="(page|true)" href="([^"]+)">([^<]+)</a>', navigation)
    assert marked == [("page", url, current)]
    assert 'aria-label="Account"' in navigation
    assert 'data-bs-toggle="collapse" data-bs-target="#account-nav"' in navigation  # a menu on phones


@pytest.mark.parametrize(
    ("url", "section"),
    [("/profile/edit/", "/profile/"), ("/accounts/2fa/recovery-codes/generate/", "/accounts/2fa/")],
)
def test_a_page_below_an_account_page_marks_that_page_as_its_section(reauthenticated, user, url, section):
    client = reauthenticated(user)
    navigation = account_navigation(client.get(url))
    marked = re.findall(r'aria-current="(page|true)" href="([^"]+)"', navigation)
    assert marked == [("true", section)]


def test_the_deletion_page_is_in_the_account_section(reauthenticated, user):
    navigation = account_navigation(reauthenticated(user).get("/accounts/delete/"))
    assert re.findall(r'aria-current="(page|true)" href="([^"]+)"', navigation) == [("page", "/accounts/delete/")]


@pytest.mark.parametrize(
    "url", ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/accounts/login/code/"]
)
def test_pages_outside_the_account_section_have_no_account_navigation(client, db, url):
    assert "account-nav" not in client.get(url).content.decode()


# --- The way in: one centred card ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/accounts/login/code/"]
)
def test_entrance_pages_are_one_centred_card(client, db, url):
    page = client.get(url).content.decode()
    card = r'<div class="row justify-content-center">\s*<div class="col-12 entrance">.*?<div class="card shadow-sm">'
    assert re.search(card, page, re.S)
    assert page.count('class="card shadow-sm"') == 1


def test_confirming_it_is_you_is_an_entrance_card_too(client, user):
    client.force_login(user)
    page = client.get("/accounts/reauthenticate/?next=/accounts/export/").content.decode()
    assert '<div class="col-12 entrance">' in page


def test_messages_show_inside_the_entrance_card_column(client, user):
    client.force_login(user)
    client.post("/accounts/logout/")
    page = client.get("/accounts/login/").content.decode()
    entrance = page[page.index('<div class="col-12 entrance">') :]
    assert '<div class="messages" role="status">' in entrance


# --- Empty states ------------------------------------------------------------------------------------


def test_the_profile_without_a_cv_says_so_and_links_to_the_upload(client, user):
    client.force_login(user)
    page = client.get("/profile/").content.decode()
    assert '<p class="fw-semibold mb-1">No CV yet</p>' in page
    assert '<a class="btn btn-sm btn-outline-primary" href="/profile/edit/">Upload your CV</a>' in page


def test_the_activity_page_without_events_says_nothing_happened(client, user):
    client.force_login(user)
    SecurityEvent.objects.filter(user=user).delete()
    page = client.get("/accounts/activity/").content.decode()
    assert "Nothing to show yet" in page
    assert "<table" not in page


# --- Favicon and colour theme --------------------------------------------------------------------------


def test_every_page_links_the_favicon_as_svg_with_an_ico_fallback(client, db):
    head = head_of(client.get("/"))
    assert '<link rel="icon" href="/static/img/favicon.ico" sizes="32x32">' in head
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in head
    assert '<link rel="apple-touch-icon" href="/static/img/apple-touch-icon.png">' in head


def test_the_theme_is_set_by_a_blocking_script_before_the_stylesheets(client, db):
    head = head_of(client.get("/"))
    blocking = '<script src="/static/js/theme.js"></script>'
    assert blocking in head
    assert head.index(blocking) < head.index('<link rel="stylesheet"')
    assert '<script src="/static/js/theme-switch.js" defer></script>' in head


def test_the_theme_switch_is_labelled_and_hidden_until_its_script_runs(client, db):
    page = client.get("/").content.decode()
    switch = page[page.index('<fieldset class="theme-switch"') : page.index("</fieldset>")]
    assert switch.startswith('<fieldset class="theme-switch" hidden>')
    assert '<legend class="form-label">Theme</legend>' in switch
    for value, label in [("light", "Light"), ("dark", "Dark"), ("auto", "Auto")]:
        assert f'id="theme-{value}" value="{value}"' in switch
        assert f'<label class="btn btn-outline-secondary" for="theme-{value}">{label}</label>' in switch
