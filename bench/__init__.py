"""Benchmark of the site under gunicorn against a bare Django "hello" ceiling; run with ``python -m bench``."""
