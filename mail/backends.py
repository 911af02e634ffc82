"""Mail backends of the site's own: the console, for development (`make run`), shows each email as a person reads it."""

from django.core.mail import EmailMessage
from django.core.mail.backends import console

RULE = "-" * 79


class ReadableConsoleBackend(console.EmailBackend):
    """Each email as its recipient would read it: who it is to, its subject and its text part, whose links can be
    followed from the terminal; not its MIME source (`consolemail://` in EMAIL_URL, the default under `make run`)."""

    def write_message(self, message: EmailMessage) -> None:
        html = any(mimetype == "text/html" for _content, mimetype in getattr(message, "alternatives", []) or [])
        text = message.body.rstrip() if message.content_subtype == "plain" else "(only an HTML part: open it in an app)"
        lines = [
            RULE,
            f"Email to {', '.join(message.recipients())}",
            f"From:    {message.from_email}",
            f"Subject: {message.subject}",
            "",
            text,
            "",
            "(an HTML version goes with it)" if html else "",
            RULE,
        ]
        self.stream.write("\n".join(lines) + "\n")
