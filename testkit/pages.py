"""The site's pages, as the suites that walk them all need them listed."""

# Every page that shows one signed-in person's own data (the two-factor ones as a person without it meets them).
SIGNED_IN_PAGES = [
    "/profile/",
    "/profile/edit/",
    "/profile/cv/",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/sessions/",
    "/accounts/reauthenticate/",
    "/accounts/delete/",
    "/accounts/activity/",
    "/accounts/export/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
    "/accounts/2fa/webauthn/add/",
]
