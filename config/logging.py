"""Log wiring: every line, the app's and gunicorn's, is one JSON object, so no request can forge a line.

The site's own events carry an ``event`` field (``logger.info("…", extra={"event": "email_sent", …})``).
"""

import logging
from typing import Any

from gunicorn import glogging
from pythonjsonlogger.json import JsonFormatter

# The process id tells which gunicorn worker (or the master) wrote a line.
FIELDS = "{asctime}{levelname}{name}{process}{message}"
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"}


# What every LogRecord has: anything else on a record came from ``extra=`` and is shown beside the message.
STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class ReadableFormatter(logging.Formatter):
    """One line a person reads on a terminal (`make run`): time, level, logger, message, then the event's fields."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {key: value for key, value in vars(record).items() if key not in STANDARD_ATTRIBUTES}
        return f"{line} ({', '.join(f'{key}={value}' for key, value in fields.items())})" if fields else line


def json_formatter() -> JsonFormatter:
    """One JSON object per record: time, level, logger, pid, message and every ``extra`` field, all escaped."""
    return JsonFormatter(FIELDS, style="{", rename_fields=RENAMED)


class RefusedRequestFilter(logging.Filter):
    """Django reports a body with too many fields or files, or too large, as an ERROR with a traceback.

    Anyone can send such a request, over and over: it is a refused request, worth one WARNING line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security.") and record.levelno >= logging.ERROR:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
            record.event = "request_refused"
        return True


class LoggedTaskFailureFilter(logging.Filter):
    """django_tasks logs every failed task at ERROR with its traceback, on every backend.

    A task that has already logged its own failure as one line with an event (an email the server refused, or
    one to be retried) raises an exception marked ``already_logged`` only so that its result is FAILED: that
    failure gets no second line. With the mail server down, a sign-up costs one line, not a traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not getattr(error, "already_logged", False)


class GunicornLogger(glogging.Logger):
    """gunicorn's error and access logs as JSON lines; each request's fields as fields, not a formatted line."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(json_formatter())

    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        self.access_log.info(
            "request",
            extra={
                "event": "request",
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "query": environ.get("QUERY_STRING"),
                "status": int(status),
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "user_agent": environ.get("HTTP_USER_AGENT"),
            },
        )
