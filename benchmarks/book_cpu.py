"""How busy the cores are while each chapter executes: where a run leaves a core idle.

    python benchmarks/book_cpu.py                    # digits-book run --profile full --no-cache
    python benchmarks/book_cpu.py --profile quick

Runs ``digits-book run`` (a run named ``cpu-profile``, every notebook executed) and, once a
second, reads the machine's CPU counters (``/proc/stat``: every process, so run it on an
otherwise idle machine). Each chapter's share is cut at the run's own progress lines
(``[k/7] name: executing`` ... ``done in``). "busy cores" is the CPU time spent in those
seconds divided by the wall time: 2.0 on 2 cores means both were busy throughout; the
difference to the number of cores, times the wall time, is what more parallel work could
at most recover. Writes ``benchmarks/results/book_cpu.md`` and ``.json``; the run is
removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digits_helpers.core.files import write_json
from digits_helpers.core.machine import described

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
RUN_NAME = "cpu-profile"
LINE = re.compile(r"^\[\d+/\d+\] (?P<notebook>\S+): (?P<event>executing|done in)")


def cpu_seconds() -> float:
    """CPU seconds spent by every core so far outside idle and I/O wait (``/proc/stat``)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Sampler(threading.Thread):
    """``(wall, cpu)`` pairs, one a second, until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while True:
            self.samples.append((time.monotonic(), cpu_seconds()))
            if self.stop.wait(1.0):
                self.samples.append((time.monotonic(), cpu_seconds()))
                return

    def cpu_between(self, start: float, end: float) -> float:
        """CPU seconds between two wall times, read from the nearest samples."""

        def at(moment: float) -> float:
            return min(self.samples, key=lambda s: abs(s[0] - moment))[1]

        return at(end) - at(start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--profile", default="full")
    args = parser.parse_args()
    sampler = Sampler()
    sampler.start()
    started: dict[str, float] = {}
    chapters: dict[str, tuple[float, float]] = {}
    command = [str(ROOT / ".venv/bin/digits-book"), "run", "--profile", args.profile]
    command += ["--name", RUN_NAME, "--no-cache"]
    begin = time.monotonic()
    with subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True) as run:
        for line in run.stderr:
            sys.stderr.write(line)
            found = LINE.match(line.strip())
            if found and found["event"] == "executing":
                started[found["notebook"]] = time.monotonic()
            elif found:
                name = found["notebook"]
                chapters[name] = (started[name], time.monotonic())
    end = time.monotonic()
    sampler.stop.set()
    sampler.join()
    shutil.rmtree(ROOT / "runs" / RUN_NAME, ignore_errors=True)
    if run.returncode:
        print(f"digits-book run failed (exit {run.returncode})", file=sys.stderr)
        return 1
    cores = os.cpu_count() or 1
    rows = []
    for name, (start, stop) in chapters.items():
        wall = stop - start
        busy = sampler.cpu_between(start, stop) / wall
        rows.append({"notebook": name, "seconds": wall, "busy_cores": busy})
    total = {"seconds": end - begin, "busy_cores": sampler.cpu_between(begin, end) / (end - begin)}
    write_json(
        RESULTS / "book_cpu.json",
        {"profile": args.profile, "cores": cores, "chapters": rows, "run": total},
    )
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "# How busy the cores are while each chapter executes",
        "",
        f"`digits-book run --profile {args.profile} --no-cache` at {commit}, {described()};"
        " CPU time of the whole machine from `/proc/stat`, sampled once a second."
        " `python benchmarks/book_cpu.py`.",
        "",
        f"| notebook | wall s | busy cores (of {cores}) | idle core-seconds |",
        "|---|---|---|---|",
    ]
    for row in rows:
        idle = (cores - row["busy_cores"]) * row["seconds"]
        lines.append(
            f"| {row['notebook']} | {row['seconds']:.1f} | {row['busy_cores']:.2f} | {idle:.0f} |"
        )
    idle = (cores - total["busy_cores"]) * total["seconds"]
    lines.append(
        f"| **the run** | {total['seconds']:.1f} | {total['busy_cores']:.2f} | {idle:.0f} |"
    )
    (RESULTS / "book_cpu.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
