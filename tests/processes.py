"""Helpers for tests that run real processes: free ports, and output read as it comes."""

from __future__ import annotations

import socket
import subprocess
import threading

__all__ = ["ProcessOutput", "free_port"]


def free_port() -> int:
    """A port nothing listens on now (the OS picked it; it may be taken later, rarely)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ProcessOutput:
    """A process's output lines, collected by a thread as they come."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._lines: list[str] = []
        self._eof = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    @property
    def lines(self) -> list[str]:
        with self._changed:
            return list(self._lines)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def _seen(self, text: str) -> bool:
        return any(text in line for line in self._lines)

    def wait_for(self, text: str, timeout: float) -> bool:
        """Whether a line with `text` came within `timeout` (False at once if output ended)."""
        with self._changed:
            self._changed.wait_for(lambda: self._eof or self._seen(text), timeout)
            return self._seen(text)

    def finish(self, timeout: float) -> None:
        """Wait for the output to end (the process has exited or is about to)."""
        self._reader.join(timeout)
