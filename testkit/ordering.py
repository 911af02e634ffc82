"""The order in which a suite hands its modules out: the longest first.

``make test`` runs each suite in two processes, each taking whole modules in collection order (``--dist loadfile``
with ``--no-loadscope-reorder``: xdist otherwise hands modules out by their number of tests, most first, whatever
this order says); a long module handed out last would leave the other process idle while it runs. The lists are
measured (``--durations``, or the total of each module's tests), not guessed from a module's number of tests: a few
tests that wait out timeouts can take longer than a hundred that do not.
"""

import pytest


def longest_first(items: list[pytest.Item], longest: list[str]) -> None:
    """Sort ``items`` so that the modules named in ``longest`` (paths relative to the suite's folder, longest first)
    come first; the order within a module, and of the other modules, is kept."""

    def rank(item: pytest.Item) -> int:
        name = item.path.relative_to(item.session.path).as_posix().split("/", 1)[-1]
        return longest.index(name) if name in longest else len(longest)

    items.sort(key=rank)
