"""Run one command in a fresh process and measure it: wall time, CPU time, peak memory, machine load.

Peak memory is taken two ways and the larger is reported:

* the kernel's high-water mark of the largest process in the tree (``ru_maxrss`` from ``wait4``, which covers
  the child and every descendant it waited for), exact but per process;
* the sum of the resident set sizes of the whole process tree, polled from ``/proc`` every ``poll_seconds``,
  which catches helpers running side by side but can miss a peak shorter than the poll interval.

The poller also enforces a memory guard and a time limit: the process group is killed when the tree's RSS goes
over ``memory_limit_bytes`` or the wall time over ``time_limit_seconds``, and the result says which limit hit.
Linux only (``/proc``).
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measurement:
    """What one measured command did.

    Attributes
    ----------
    wall_seconds : float
    user_seconds, system_seconds : float
        CPU time of the process tree (children that were waited for).
    peak_rss_bytes : int
        ``max(max_process_rss_bytes, peak_tree_rss_bytes)``.
    max_process_rss_bytes : int
        Kernel high-water mark of the largest single process.
    peak_tree_rss_bytes : int
        Largest polled sum over the process tree.
    exit_code : int
    killed_by : str or None
        ``"memory_guard"`` or ``"time_limit"`` when the runner stopped the command.
    loadavg_before, loadavg_after : list of float
        1, 5 and 15 minute load averages from ``/proc/loadavg``.
    """

    wall_seconds: float
    user_seconds: float
    system_seconds: float
    peak_rss_bytes: int
    max_process_rss_bytes: int
    peak_tree_rss_bytes: int
    exit_code: int
    killed_by: str | None = None
    loadavg_before: list = field(default_factory=list)
    loadavg_after: list = field(default_factory=list)
    other_cpu_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.killed_by is None

    def to_dict(self) -> dict:
        return asdict(self)


def read_loadavg(path: str = "/proc/loadavg") -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    with open(path) as handle:
        return parse_loadavg(handle.read())


def parse_loadavg(text: str) -> list[float]:
    """``'0.52 0.61 1.01 1/86 25381'`` -> ``[0.52, 0.61, 1.01]``."""
    return [float(part) for part in text.split()[:3]]


def busy_cpu_seconds(path: str = "/proc/stat") -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting for I/O) since boot."""
    with open(path) as handle:
        return parse_busy_cpu_seconds(handle.readline())


def parse_busy_cpu_seconds(cpu_line: str, ticks_per_second: int | None = None) -> float:
    """Busy seconds from the aggregate ``cpu`` line of ``/proc/stat`` (user, nice, system, irq, softirq, steal)."""
    ticks = ticks_per_second or os.sysconf("SC_CLK_TCK")
    fields = [int(value) for value in cpu_line.split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / ticks


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: fields start after the last ')'
        parent = int(stat[stat.rfind(")") + 2:].split()[1])
        children.setdefault(parent, []).append(int(entry))
    return children


def tree_rss_bytes(root: int) -> int:
    """Sum of the resident set sizes of ``root`` and all its descendants (0 once they are gone)."""
    children = _children_by_parent()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE_SIZE
        except OSError:
            continue
    return total


def run_measured(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    log_path: str | Path | None = None,
    poll_seconds: float = 0.25,
    memory_limit_bytes: int | None = None,
    time_limit_seconds: float | None = None,
) -> Measurement:
    """Run ``command`` in a new process group, wait for it and measure it (see the module docstring).

    Parameters
    ----------
    command : sequence of str
    env : mapping, optional
        The full environment of the command (default: this process's).
    cwd : path, optional
    log_path : path, optional
        stdout and stderr go here (default: discarded).
    poll_seconds : float
        How often the tree's RSS is sampled.
    memory_limit_bytes : int, optional
        Kill the command when the tree's RSS goes over this.
    time_limit_seconds : float, optional
        Kill the command when it runs longer than this.

    Returns
    -------
    Measurement
    """
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    loadavg_before = read_loadavg()
    busy_before = busy_cpu_seconds()
    started = time.perf_counter()
    try:
        process = subprocess.Popen(list(command), env=dict(env) if env is not None else None, cwd=cwd,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        state = {"peak": 0, "killed_by": None}
        done = threading.Event()

        def poll() -> None:
            while not done.wait(poll_seconds):
                rss = tree_rss_bytes(process.pid)
                state["peak"] = max(state["peak"], rss)
                reason = None
                if memory_limit_bytes is not None and rss > memory_limit_bytes:
                    reason = "memory_guard"
                elif time_limit_seconds is not None and time.perf_counter() - started > time_limit_seconds:
                    reason = "time_limit"
                if reason:
                    state["killed_by"] = reason
                    try:
                        os.killpg(process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    return

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        poller.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log_path:
            log.close()
    max_process = int(usage.ru_maxrss) * 1024
    own_cpu = usage.ru_utime + usage.ru_stime
    return Measurement(
        wall_seconds=round(wall, 2),
        user_seconds=round(usage.ru_utime, 2),
        system_seconds=round(usage.ru_stime, 2),
        peak_rss_bytes=max(max_process, state["peak"]),
        max_process_rss_bytes=max_process,
        peak_tree_rss_bytes=state["peak"],
        exit_code=process.returncode,
        killed_by=state["killed_by"],
        loadavg_before=loadavg_before,
        loadavg_after=read_loadavg(),
        other_cpu_seconds=round(max(0.0, busy_cpu_seconds() - busy_before - own_cpu), 1),
    )
