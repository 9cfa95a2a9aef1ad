"""The failed-authentication throttle on its own: a sliding window per client, in bounded memory."""

from __future__ import annotations

from api.throttle import FailureThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_client_waits_until_its_oldest_counted_failure_leaves_the_window() -> None:
    clock = Clock()
    throttle = FailureThrottle(limit=3, window=60, max_clients=10, clock=clock)
    for at in (0.0, 10.0, 20.0):
        clock.now = at
        throttle.fail("198.51.100.1")
    waits = {}
    for at in (20.0, 59.5, 60.0, 70.5):
        clock.now = at
        waits[at] = throttle.retry_after("198.51.100.1")

    # Blocked until the failure at 0 s leaves; then the one at 10 s is the oldest counted.
    assert waits == {20.0: 40, 59.5: 1, 60.0: 0, 70.5: 0}
    clock.now = 71.0
    throttle.fail("198.51.100.1")  # the third within 60 s again (20, 71 and 10 has gone)
    assert throttle.retry_after("198.51.100.1") == 0
    throttle.fail("198.51.100.1")
    assert throttle.retry_after("198.51.100.1") == 9  # until 20 + 60


def test_other_clients_are_not_held_up() -> None:
    throttle = FailureThrottle(limit=2, window=60, max_clients=10, clock=Clock())
    throttle.fail("198.51.100.1")
    throttle.fail("198.51.100.1")

    assert throttle.retry_after("198.51.100.1") == 60
    assert throttle.retry_after("198.51.100.2") == 0


def test_memory_is_bounded_by_the_number_of_clients_and_the_window() -> None:
    clock = Clock()
    throttle = FailureThrottle(limit=2, window=60, max_clients=50, clock=clock)
    for n in range(1000):
        clock.now = n / 100
        throttle.fail(f"10.0.{n // 256}.{n % 256}")
        throttle.fail(f"10.0.{n // 256}.{n % 256}")
    tracked = len(throttle)
    latest_blocked = throttle.retry_after("10.0.3.231")  # n = 999
    first_forgotten = throttle.retry_after("10.0.0.0")
    clock.now += 60
    after_the_window = len(throttle), throttle.retry_after("10.0.3.231")

    assert tracked == 50
    assert latest_blocked == 60
    assert first_forgotten == 0  # pushed out by newer clients
    assert after_the_window == (0, 0)
