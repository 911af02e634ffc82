"""A throw-away PostgreSQL server: its own data directory in a temporary folder, its own port on loopback.

The tests never touch the machine's own cluster or its services: a run brings up a server of its own with the
installed binaries (``initdb``, ``pg_ctl``), and removes it, data and all, when it ends. Durability is switched
off (``fsync``, ``synchronous_commit``), since nothing in it outlives the run.

``python -m testkit.postgres <command> …`` (``bin/with-postgres``) runs a command with ``DATABASE_URL`` naming an
empty database on such a server; a test that must take its database away (a restart under a running worker)
starts a ``Cluster`` of its own, so that no other test loses its connection. Standard library only: the
wrapper runs before any virtual environment exists.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from .network import free_port

SUPERUSER = "postgres"
DATABASE = "signals"
# Settings for a server whose data is thrown away: no waiting on the disk, room for every test process.
SERVER_OPTIONS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
}


def binaries() -> Path:
    """The newest installed PostgreSQL's programs (Debian keeps each version under /usr/lib/postgresql/<n>/bin)."""
    if configured := os.environ.get("POSTGRES_BIN"):
        return Path(configured)
    root = Path("/usr/lib/postgresql")
    versions = sorted((path for path in root.glob("*/bin/initdb")), key=lambda path: int(path.parent.parent.name))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb): make test-deps")
    return versions[-1].parent


def _as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, its programs run as the ``postgres`` account the package made."""
    return ["runuser", "-u", SUPERUSER, "--", *command] if os.geteuid() == 0 else command


class Cluster:
    """One PostgreSQL server in a temporary folder, on a free port; a context manager that removes it on exit."""

    def __init__(self) -> None:
        self.bin = binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="postgres-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.log = self.folder / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.folder, SUPERUSER)

    def url(self, database: str = DATABASE) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        result = subprocess.run(_as_server_user(list(command)), capture_output=True, text=True, check=False)
        if result.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def initialise(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "--pgdata",
            str(self.data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--no-instructions",
        )

    def start(self) -> None:
        options = " ".join(f"-c {name}={value}" for name, value in SERVER_OPTIONS.items())
        options += f" -p {self.port} -k {self.folder}"
        self._run(
            str(self.bin / "pg_ctl"), "--pgdata", str(self.data), "--log", str(self.log), "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        """A fast shutdown, as a restart or a failover does it: every client's connection is cut at once."""
        self._run(str(self.bin / "pg_ctl"), "--pgdata", str(self.data), "--mode", "fast", "-w", "stop")

    def create_database(self, name: str = DATABASE) -> str:
        self._run(str(self.bin / "createdb"), "--host", "127.0.0.1", "--port", str(self.port), "-U", SUPERUSER, name)
        return self.url(name)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop()
            except RuntimeError:
                pass  # already gone; the folder goes anyway
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            self.initialise()
            self.start()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.remove()


def main(command: list[str]) -> int:
    """Run ``command`` with DATABASE_URL naming an empty database on a server of its own; remove it all after."""
    if not command:
        print("usage: python -m testkit.postgres <command> [args…]", file=sys.stderr)
        return 2
    with Cluster() as cluster:
        url = cluster.create_database()
        print(f"PostgreSQL of this run: {url} (in {cluster.folder})", flush=True)
        child = subprocess.Popen(command, env={**os.environ, "DATABASE_URL": url})
        # Ctrl-C reaches the whole process group; the command decides what it means, and the server goes after it.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return child.wait()
        finally:
            signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
