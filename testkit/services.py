"""What every throw-away server in testkit is: started, then stopped when its ``with`` block ends, however it ends."""

from types import TracebackType
from typing import Self


class Service:
    """``with Server(...) as server:`` starts it and stops it on the way out; subclasses say how."""

    def start(self) -> object:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
