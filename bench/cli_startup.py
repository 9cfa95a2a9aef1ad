"""How soon `qi` answers: wall time of `qi` commands that need no server, run as a newcomer
runs them (a fresh interpreter each time), and the modules that cost the most to import.

    python -m bench.cli_startup [--runs 15] [--repo PATH]

Prints JSON: per command the fastest and median run in milliseconds (the fastest is the least
disturbed by other work on the machine), the interpreter's own start for comparison, and the
slowest top-level imports of `qi types`. `--repo` times another checkout of the project (e.g.
an older commit unpacked with `git archive`) with this interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["main"]

COMMANDS = (["--help"], ["types"], ["convene-panel", "--help"], ["start", "--help"])
REPO = Path(__file__).resolve().parents[1]


def _env(repo: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QI_")}
    env["PYTHONPATH"] = str(repo)
    return env


def _timed(argv: list[str], repo: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=repo, env=_env(repo), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _runs(argv: list[str], repo: Path, runs: int) -> dict[str, float]:
    _timed(argv, repo)  # warm the file cache and the bytecode
    seconds = [_timed(argv, repo) for _ in range(runs)]
    return {"min_ms": round(1000 * min(seconds), 1),
            "median_ms": round(1000 * statistics.median(seconds), 1)}


def _slowest_imports(repo: Path, args: list[str], count: int = 8) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "cli", *args], cwd=repo,
                          env=_env(repo), check=True, capture_output=True, text=True)
    top: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith("  ") or not cumulative.strip().isdigit():
            continue  # only what the command itself imports, not what those imports import
        top[name.strip()] = round(int(cumulative) / 1000, 1)
    return dict(sorted(top.items(), key=lambda kv: -kv[1])[:count])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cli_startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--repo", type=Path, default=REPO)
    options = parser.parse_args(argv)
    repo = options.repo.resolve()
    report = {
        "repo": str(repo),
        "python_start": _runs([sys.executable, "-c", "pass"], repo, options.runs),
        "commands": {"qi " + " ".join(args): _runs([sys.executable, "-m", "cli", *args], repo,
                                                    options.runs) for args in COMMANDS},
        "slowest_imports_ms": {"qi types": _slowest_imports(repo, ["types"]),
                               "qi --help": _slowest_imports(repo, ["--help"])},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
