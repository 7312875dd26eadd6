"""Running a test's writers in threads at once (the concurrency tests on PostgreSQL)."""

import threading
from collections.abc import Callable

from django.db import connections


def run_at_once(target: Callable[[int], None], count: int, *, timeout: float = 120) -> list[tuple[int, Exception]]:
    """Run ``target(0)`` … ``target(count - 1)`` in threads, wait for all (each up to ``timeout`` s) and return
    what each raised, with its index. Each thread closes its database connections when its target ends.

    The targets start together when they wait on a ``threading.Barrier(count)`` of their own.
    """
    errors: list[tuple[int, Exception]] = []

    def run(index: int) -> None:
        try:
            target(index)
        except Exception as exc:  # noqa: BLE001 (returned to the test, with the thread's index)
            errors.append((index, exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors
