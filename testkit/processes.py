"""The processes under test, started as an operator starts them: gunicorn (``make serve``), ``manage.py``,
the task worker (``make worker``). Each writes to a log file and is stopped politely, then firmly."""

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import psutil

from .network import free_port
from .polling import wait_until
from .services import Service

PROJECT_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = PROJECT_DIR / "config" / "gunicorn.conf.py"


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``manage.py <args>`` in a process of its own, as an operator would; fail loudly."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


class Process(Service):
    """A child process whose output goes to ``<logs>/<name>.log``; a context manager that stops it on exit."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log = logs / f"{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command, cwd=PROJECT_DIR, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM is gunicorn's (and the task worker's) graceful shutdown; kill only a process that hangs."""
        if not self.running():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine would: no clean-up of any kind."""
        if self.running():
            assert self.process is not None
            self.process.kill()
            self.process.wait()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def manage(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """``manage.py`` against this process's database and settings, e.g. ``site.manage("createsuperuser")``."""
        return manage({**self.env, **(env or {})}, *args)


class Gunicorn(Process):
    """``gunicorn <wsgi> --config config/gunicorn.conf.py --bind 127.0.0.1:<port>``, as ``make serve`` runs it.

    ``host`` is the name it is reached by (its ``url``): the loopback address, or ``localhost``, which resolves to
    it. Starting waits until ``ready_path`` answers 200 and every worker has booted, so that no request lands on a
    half-started worker.
    """

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        logs: Path,
        *,
        wsgi: str = "config.wsgi",
        ready_path: str = "/healthz/",
        host: str = "127.0.0.1",
        start_timeout: float = 90,
    ) -> None:
        self.port = free_port()
        self.host = host
        self.ready_path = ready_path
        self.start_timeout = start_timeout
        command = [sys.executable, "-m", "gunicorn", wsgi, "--config", str(GUNICORN_CONFIG)]
        super().__init__(name, [*command, "--bind", f"127.0.0.1:{self.port}"], env, logs)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def media_root(self) -> Path:
        return Path(self.env["DJANGO_MEDIA_ROOT"])

    def start(self) -> None:
        super().start()
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()  # __exit__ never runs when __enter__ fails
            raise

    def expected_workers(self) -> int:
        return int(self.env.get("GUNICORN_WORKERS", (os.cpu_count() or 1) * 2 + 1))

    def wait_until_ready(self) -> None:
        def ready() -> bool:
            if not self.running():
                raise RuntimeError(f"{self.name} exited:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=5) as reply:  # noqa: S310 (loopback)
                    return reply.status == 200 and len(self.worker_pids()) >= self.expected_workers()
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        try:
            wait_until(ready, f"{self.name} answers on {self.url}", timeout=self.start_timeout)
        except AssertionError as error:
            raise RuntimeError(f"{error}:\n{self.log_text()}") from None

    def worker_pids(self) -> list[int]:
        try:
            return [child.pid for child in psutil.Process(self.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its workers, including workers already recycled (reaped)."""
        master = psutil.Process(self.pid)
        times = master.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in master.children():
            try:
                child_times = child.cpu_times()
            except psutil.NoSuchProcess:
                continue  # exited since listed: its time is now in the master's children_* fields
            total += child_times.user + child_times.system
        return total


def task_worker(name: str, env: dict[str, str], logs: Path, *extra: str) -> Process:
    """``manage.py task_worker``, as ``make worker`` runs it (not yet started: use it as a context manager)."""
    command = [sys.executable, "manage.py", "task_worker", "--queue-name", "*", "--no-startup-delay", *extra]
    return Process(name, command, env, logs)
