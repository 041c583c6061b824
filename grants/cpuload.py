"""Whether the machine's cores are all busy, read from Linux's /proc/stat; no Flask, no database.

The jobs worker runs in the CPU's idle class (grants.jobs.yield_cpu_to_requests), but its work still
takes a share of a burst of requests: the scheduler gives the idle class a small weight, its
database backend runs at normal priority, and re-encoding a photo fills the caches the requests
were using. Work that may come a few seconds late (a photo's re-encoding) waits, within a bound,
until a core is free (``wait_for_free_core``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

PROC_STAT = Path("/proc/stat")
# Columns of the "cpu" line of /proc/stat that are not work: idle and waiting for I/O.
_IDLE_COLUMNS = (3, 4)


class CpuTimes(NamedTuple):
    """Cumulative clock ticks of all cores since boot: idle (incl. I/O wait) and all."""

    idle: int
    total: int


def parse_stat(text: str) -> CpuTimes | None:
    """The all-cores line of a /proc/stat text; None if it has none."""
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            # user nice system idle iowait irq softirq steal (guest and guest_nice are in user already)
            ticks = [int(v) for v in fields[1:9] if v.isdigit()]
            if len(ticks) < 5:
                return None
            return CpuTimes(idle=sum(ticks[i] for i in _IDLE_COLUMNS), total=sum(ticks))
    return None


def read_cpu_times(path: Path = PROC_STAT) -> CpuTimes | None:
    """This machine's CpuTimes now; None where /proc/stat cannot be read (not Linux)."""
    try:
        return parse_stat(path.read_text())
    except OSError:
        return None


def free_cores(before: CpuTimes, after: CpuTimes, cores: int) -> float:
    """How many cores were idle on average between two readings (0 … ``cores``)."""
    elapsed = after.total - before.total
    if elapsed <= 0:
        return float(cores)  # no tick passed: nothing says the machine is busy
    return cores * (after.idle - before.idle) / elapsed


def wait_for_free_core(
    deadline: float,
    *,
    cores: int,
    wanted: float = 0.5,
    window: float = 0.1,
    read: Callable[[], CpuTimes | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> float:
    """Wait until at least ``wanted`` of a core was idle over a ``window`` of seconds, or until the
    ``deadline`` (a ``clock`` time) has passed; returns the seconds waited. Returns at once where
    the load cannot be read, on a machine of one core (its requests would wait for the work
    anyway), and once the deadline has passed: work is delayed by a busy spell, never held back
    beyond its bound. ``read`` gives the load (default: this machine's /proc/stat), ``sleep`` and
    ``clock`` the time (tests pass their own)."""
    started = clock()
    if cores < 2 or started >= deadline:
        return 0.0
    read = read or read_cpu_times
    before = read()
    while before is not None and clock() < deadline:
        sleep(min(window, max(0.0, deadline - clock())))
        after = read()
        if after is None or free_cores(before, after, cores) >= wanted:
            break
        before = after
    return clock() - started
