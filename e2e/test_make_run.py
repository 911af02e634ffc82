"""The first hour: `make run` runs the whole product, the site and its task worker, shows each email readably on the
console, and one Ctrl-C stops everything."""

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from testkit.http import Browser
from testkit.network import accepts_connections, free_port
from testkit.people import PASSWORD, unique_email
from testkit.polling import wait_until
from testkit.processes import PROJECT_DIR


class Terminal:
    """`make run` as a developer starts it in a terminal: its own process group, which Ctrl-C signals as a whole."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                ["make", "run"],
                cwd=PROJECT_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def ctrl_c(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[Terminal, int]]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "GUNICORN_"))}
    env.pop("SITE_URL", None)
    env.update(
        PORT=str(port),  # as `make run PORT=…`
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",  # not the project's own db.sqlite3
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
    )
    env.pop("EMAIL_URL", None)
    terminal = Terminal(env, tmp_path / "make-run.log")
    try:
        yield terminal, port
    finally:
        if terminal.process.poll() is None:
            os.killpg(terminal.process.pid, signal.SIGKILL)
            terminal.process.wait()


def test_make_run_serves_the_site_and_its_worker_sends_the_emails_readably_and_ctrl_c_stops_both(make_run):
    terminal, port = make_run
    url = f"http://localhost:{port}"
    wait_until(lambda: f"runs at {url}" in terminal.output(), "make run says where the site is", timeout=120)
    wait_until(lambda: accepts_connections(port), "the site answers", timeout=60)
    browser = Browser(url)

    email = unique_email("first-hour")
    response = browser.post_form("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status == 302

    # The worker (the database task backend) sends both emails; the console shows them as a person reads them.
    wait_until(lambda: "Subject: Welcome to Vitae" in terminal.output(), "the welcome email on the console")
    wait_until(lambda: "Subject: [Vitae] Confirm your email address" in terminal.output(), "the verification email")
    output = terminal.output()
    assert f"Email to {email}" in output
    assert f"{url}/accounts/confirm-email/" in output  # SITE_URL follows the port, at a host name passkeys accept
    assert "Content-Transfer-Encoding" not in output  # no MIME source
    assert '"event": ' not in output  # readable log lines, not JSON

    children = psutil.Process(terminal.process.pid).children(recursive=True)
    assert any("task_worker" in " ".join(child.cmdline()) for child in children)
    terminal.ctrl_c()
    terminal.process.wait(timeout=60)
    wait_until(lambda: not any(child.is_running() and child.status() != "zombie" for child in children), "all stop")
