"""How every long-running process (`qi up`, `qi worker`, `qi api`) stops on SIGTERM or Ctrl-C.

One owner of the process's signals: the first SIGTERM or SIGINT asks the work to stop
gracefully, a second one stops it at once. Call `stop_on_signals` from the task that runs the
process (the one `asyncio.run` runs), so "at once" means cancelling that task.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable

__all__ = ["stop_on_signals"]

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def stop_on_signals(graceful: Callable[[signal.Signals], None] | None = None) -> None:
    """First SIGTERM or SIGINT: call `graceful(signum)`, or without one cancel the current task
    (its `finally` blocks still run, so servers and child processes are stopped). A second
    signal cancels the current task, cutting short whatever the graceful stop still waits for.

    On Windows event loops there are no signal handlers: Ctrl-C raises KeyboardInterrupt."""
    task = asyncio.current_task()
    if task is None or sys.platform == "win32":
        return
    loop = asyncio.get_running_loop()
    received: list[signal.Signals] = []

    def handle(signum: signal.Signals) -> None:
        received.append(signum)
        if len(received) > 1:
            log.warning("%s again: stopping at once", signum.name)
            task.cancel()
        elif graceful is not None:
            graceful(signum)
        else:
            task.cancel()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, handle, signum)
