"""Account security: the activity log, known browsers and the new-device email, browser names, two-factor and
session adapters, secret encryption."""
