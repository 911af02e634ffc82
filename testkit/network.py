"""Loopback ports for the servers the tests start."""

import socket

from .polling import wait_until


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts_connections(port: int) -> bool:
    """Whether something accepts connections on ``127.0.0.1:port`` now."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def wait_until_listening(port: int) -> None:
    """Block until something accepts connections on ``127.0.0.1:port``."""
    wait_until(lambda: accepts_connections(port), f"something listens on 127.0.0.1:{port}")
