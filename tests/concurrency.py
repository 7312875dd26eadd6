"""Running a test's writers in threads at once (the concurrency tests on PostgreSQL)."""

import threading
from collections.abc import Callable


def run_at_once(target: Callable[[int], None], count: int, *, timeout: float = 120) -> None:
    """Run ``target(0)`` … ``target(count - 1)`` in threads and wait for all (each up to ``timeout`` s).

    The targets start together when they wait on a ``threading.Barrier(count)`` of their own.
    """
    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
