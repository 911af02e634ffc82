"""Start and stop the processes under test: gunicorn (site or ceiling) and the task worker, on loopback."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

from .workspace import PROJECT_ROOT

GUNICORN_CONFIG = PROJECT_ROOT / "config" / "gunicorn.conf.py"
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """A child process whose output goes to a log file, stopped politely (then firmly) on exit."""

    def __init__(self, name: str, command: list[str], environment: dict[str, str], logs: Path) -> None:
        self.name = name
        self.command = command
        self.environment = environment
        self.log_path = logs / f"{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=PROJECT_ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


class Gunicorn(Process):
    """``gunicorn <wsgi> --config config/gunicorn.conf.py --bind 127.0.0.1:<port>``, as ``make serve`` runs it."""

    def __init__(self, name: str, wsgi: str, environment: dict[str, str], logs: Path, ready_path: str = "/") -> None:
        self.port = free_port()
        self.ready_path = ready_path
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        command = [gunicorn, wsgi, "--config", str(GUNICORN_CONFIG), "--bind", f"127.0.0.1:{self.port}"]
        super().__init__(name, command, environment, logs)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()  # __exit__ never runs when __enter__ fails
            raise

    def wait_until_ready(self) -> None:
        """Wait for an answer, then for every worker to have booted (so no load lands on a half-started one)."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=5) as reply:  # noqa: S310 (loopback)
                    if reply.status == 200 and len(self.worker_pids()) >= self.expected_workers():
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer on {self.url} within {START_TIMEOUT:.0f}s; see {self.log_path}")

    def expected_workers(self) -> int:
        default = (os.cpu_count() or 1) * 2 + 1
        return int(self.environment.get("GUNICORN_WORKERS", default))

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its workers, including workers already recycled."""
        ticks = os.sysconf("SC_CLK_TCK")
        # utime, stime, cutime, cstime: reaped (recycled) workers' time is in the master's cutime/cstime.
        total = sum(_stat_fields(self.pid)[11:15])
        for pid in self.worker_pids():
            try:
                total += sum(_stat_fields(pid)[11:13])
            except OSError:
                pass  # exited since listed; its time is now the master's
        return total / ticks

    def worker_pids(self) -> list[int]:
        """The master's children, found by their parent id in /proc."""
        children = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                parent = _stat_fields(int(entry.name))[1]
            except (OSError, IndexError, ValueError):
                continue
            if parent == self.pid:
                children.append(int(entry.name))
        return children


def _stat_fields(pid: int) -> list[int]:
    """The numeric fields of /proc/<pid>/stat after the command name (state is field 0, ppid field 1)."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        # The command name may hold spaces and parentheses; the fields start after the last ")".
        fields = stat.read().rsplit(b")", 1)[1].split()
    return [int(field) if field.lstrip(b"-").isdigit() else 0 for field in fields]


def task_worker(name: str, environment: dict[str, str], logs: Path) -> Process:
    """``manage.py db_worker``, as ``make worker`` runs it."""
    command = [sys.executable, "manage.py", "db_worker", "--queue-name", "*"]
    return Process(name, command, environment, logs)
