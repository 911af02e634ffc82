"""Test plumbing shared by ``tests/``, ``e2e/`` and ``bench/``: ports, processes, an SMTP sink, raw HTTP, CV bytes."""
