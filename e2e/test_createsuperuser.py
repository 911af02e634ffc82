"""An operator creates an administrator with ``createsuperuser``, at its prompts or from the environment: one
canonical address, one account per mailbox, and a clear message for an address that cannot be one."""

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time

from testkit.hostile import LONG_ADDRESS
from testkit.people import PASSWORD, unique_email
from testkit.processes import PROJECT_DIR, manage


def fullwidth(text: str) -> str:
    """The same characters in their fullwidth forms (ａ for a, ＠ for @), as an East Asian keyboard types them."""
    return "".join(chr(ord(character) + 0xFEE0) if "!" <= character <= "~" else character for character in text)


def _become_terminal_session() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # the pty on stdin becomes the controlling terminal: getpass reads it


class Terminal:
    """``manage.py createsuperuser`` in a real terminal (a pty), typed into prompt by prompt."""

    def __init__(self, env: dict[str, str]) -> None:
        self.master, follower = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "createsuperuser"],
            cwd=PROJECT_DIR,
            env=env,
            stdin=follower,
            stdout=follower,
            stderr=follower,
            preexec_fn=_become_terminal_session,  # noqa: PLW1509 (no threads start before exec)
        )
        os.close(follower)
        self.screen = ""

    def read_until(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self.master], [], [], max(remaining, 0))
            if not ready:
                raise AssertionError(f"no {text!r} on the terminal; it shows:\n{self.screen}")
            try:
                self.screen += os.read(self.master, 4096).decode(errors="replace")
            except OSError as error:  # the command ended
                raise AssertionError(f"no {text!r} on the terminal; it shows:\n{self.screen}") from error
        return self.screen

    def answer(self, prompt: str, text: str) -> None:
        self.read_until(prompt)
        self.screen = ""
        os.write(self.master, text.encode() + b"\n")

    def close(self) -> int:
        """Wait for the command to end by itself; the terminal closes after it."""
        try:
            return self.process.wait(timeout=30)
        finally:
            os.close(self.master)

    def hang_up(self) -> int:
        """Close the terminal in the middle of a prompt, as an operator who gives up closes its window: the command
        gets SIGHUP and ends. (Not Ctrl-C: typed the moment the prompt appears, while readline is still setting the
        terminal up, its SIGINT was lost now and then on a loaded machine: ^C echoed, the prompt still waiting.)"""
        os.close(self.master)
        return self.process.wait(timeout=30)


def users_with(env: dict[str, str], email: str) -> int:
    code = f"from accounts.models import User; print(User.objects.filter(email={email!r}).count())"
    return int(manage(env, "shell", "--no-imports", "-c", code).stdout.strip())


def test_at_the_prompts_a_fullwidth_address_is_stored_canonically_and_no_second_spelling_is_taken(
    site_env: dict[str, str],
) -> None:
    email = unique_email("operator")
    first = Terminal(site_env)
    first.answer("Email address: ", fullwidth(email))
    first.answer("Password: ", PASSWORD)
    first.answer("Password (again): ", PASSWORD)
    first.read_until("Superuser created successfully.")
    assert first.close() == 0
    assert users_with(site_env, email) == 1

    second = Terminal(site_env)
    second.answer("Email address: ", email.upper())
    assert "Error: That email address is already taken." in second.read_until("Email address: ")
    second.answer("Email address: ", f'"{email.split("@")[0]}"@example.com')
    assert "Error: That email address is already taken." in second.read_until("Email address: ")
    second.answer("Email address: ", LONG_ADDRESS)
    screen = second.read_until("Email address: ")
    assert "An email address can have at most 254 characters (this one has 301)." in screen
    second.hang_up()
    assert users_with(site_env, email) == 1
    assert users_with(site_env, LONG_ADDRESS[:254]) == 0


def test_from_the_environment_the_address_is_stored_canonically_or_refused_with_its_reason(
    site_env: dict[str, str],
) -> None:
    email = unique_email("operator")
    quiet = {"DJANGO_SUPERUSER_PASSWORD": PASSWORD}
    manage({**site_env, **quiet, "DJANGO_SUPERUSER_EMAIL": f" {fullwidth(email)} "}, "createsuperuser", "--noinput")
    assert users_with(site_env, email) == 1

    for spelling, message in [
        (email.upper(), "That email address is already taken."),
        (LONG_ADDRESS, "An email address can have at most 254 characters (this one has 301)."),
    ]:
        env = {**site_env, **quiet, "DJANGO_SUPERUSER_EMAIL": spelling}
        refused = subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--noinput"],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode == 1 and message in refused.stderr, refused.stderr
    assert users_with(site_env, email) == 1
