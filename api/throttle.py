"""Failed authentication, counted per client address, so a client guessing tokens is slowed to
`limit` guesses a `window`.

Kept in the memory of the one API process: each process behind a load balancer throttles on
its own. Memory is bounded: at most `limit` times per client, and at most `max_clients`
clients, the one whose last failure is oldest forgotten first. Successful requests are neither
counted nor forgive earlier failures.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

__all__ = ["FailureThrottle"]


class FailureThrottle:
    """A sliding window of failures per client: once `limit` of them fall within `window`
    seconds, the client waits until the oldest leaves it. Used from the event loop only."""

    def __init__(
        self,
        limit: int,
        window: float,
        max_clients: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._clock = clock
        # client -> times of its latest failures; the client who failed last is at the end.
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        """How many clients have failures that still count."""
        self._forget(self._clock())
        return len(self._failures)

    def retry_after(self, client: str) -> int:
        """Whole seconds before `client` may try again; 0: it may now."""
        now = self._clock()
        self._forget(now)
        failures = self._failures.get(client)
        if failures is None or len(failures) < self.limit:
            return 0
        wait = failures[0] + self.window - now
        return math.ceil(wait) if wait > 0 else 0

    def fail(self, client: str) -> None:
        """Count a failed authentication from `client`."""
        now = self._clock()
        self._forget(now)
        failures = self._failures.pop(client, None) or deque(maxlen=self.limit)
        failures.append(now)
        self._failures[client] = failures
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)

    def _forget(self, now: float) -> None:
        """Drop the clients none of whose failures counts any more; they are at the front."""
        while self._failures:
            client, failures = next(iter(self._failures.items()))
            if failures[-1] + self.window > now:
                return
            del self._failures[client]
