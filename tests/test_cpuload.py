"""grants.cpuload: reading whether every core is busy, and waiting (within a bound) for a free one."""

from __future__ import annotations

from pathlib import Path

from grants import cpuload
from grants.cpuload import CpuTimes, free_cores, parse_stat, wait_for_free_core

STAT = """cpu  4705 356 584 3699 23 23 0 0 0 0
cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0
cpu1 1393280 32966 572056 13343292 6130 0 17875 0 0 0
intr 114930548 113199788 3 0 5 263 0 4 [... lots more numbers ...]
ctxt 1990473
"""


def test_the_all_cores_line_gives_idle_and_total_ticks():
    # idle 3699 + iowait 23; all of user … steal
    assert parse_stat(STAT) == CpuTimes(idle=3722, total=4705 + 356 + 584 + 3699 + 23 + 23 + 0 + 0)


def test_a_text_without_the_all_cores_line_reads_as_unknown():
    assert parse_stat("cpu0 1 2 3 4 5 6 7 8\n") is None
    assert parse_stat("cpu 1 2\n") is None
    assert parse_stat("") is None


def test_an_unreadable_file_reads_as_unknown(tmp_path):
    assert cpuload.read_cpu_times(tmp_path / "missing") is None
    (tmp_path / "stat").write_text(STAT)
    assert cpuload.read_cpu_times(tmp_path / "stat") == parse_stat(STAT)


def test_this_machine_can_be_read_on_linux():
    if Path("/proc/stat").exists():
        times = cpuload.read_cpu_times()
        assert times is not None and 0 <= times.idle <= times.total


def test_free_cores_is_the_idle_share_of_the_ticks_times_the_cores():
    assert free_cores(CpuTimes(0, 0), CpuTimes(50, 200), cores=2) == 0.5
    assert free_cores(CpuTimes(0, 0), CpuTimes(0, 200), cores=2) == 0.0
    assert free_cores(CpuTimes(100, 100), CpuTimes(300, 300), cores=2) == 2.0
    # No tick between the readings: nothing says the machine is busy.
    assert free_cores(CpuTimes(5, 10), CpuTimes(5, 10), cores=4) == 4.0


class FakeMachine:
    """A clock that moves only when slept, and /proc/stat readings of a given load per window."""

    def __init__(self, free_per_window: list[float], cores: int = 2, ticks: int = 100):
        self.free = list(free_per_window)
        self.cores, self.ticks = cores, ticks
        self.now = 1000.0
        self.times = CpuTimes(0, 0)
        self.reads = 0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        # The window that just passed had this many free cores (the last one repeats).
        free = self.free.pop(0) if len(self.free) > 1 else self.free[0]
        idle, total = self.times
        self.times = CpuTimes(idle + round(self.ticks * free / self.cores), total + self.ticks)

    def read(self) -> CpuTimes:
        self.reads += 1
        return self.times

    def wait(self, deadline: float, **kw) -> float:
        return wait_for_free_core(deadline, cores=self.cores, read=self.read, sleep=self.sleep, clock=self.clock, **kw)


def test_it_waits_while_every_core_is_busy_and_goes_once_one_is_free():
    machine = FakeMachine([0.1, 0.2, 0.3, 1.4])
    waited = machine.wait(machine.now + 10, window=0.1, wanted=0.5)
    assert machine.sleeps == [0.1, 0.1, 0.1, 0.1]
    assert abs(waited - 0.4) < 1e-9


def test_it_goes_at_once_when_a_core_is_free_in_the_first_window():
    machine = FakeMachine([1.0])
    assert abs(machine.wait(machine.now + 10, window=0.2) - 0.2) < 1e-9


def test_it_never_waits_past_the_deadline_however_busy_the_machine_stays():
    machine = FakeMachine([0.0])
    waited = machine.wait(machine.now + 0.25, window=0.1)
    assert abs(waited - 0.25) < 1e-9  # the last window is cut to the deadline
    assert machine.sleeps[-1] < 0.1


def test_a_deadline_already_passed_waits_for_nothing():
    machine = FakeMachine([0.0])
    assert machine.wait(machine.now - 1) == 0 and machine.sleeps == [] and machine.reads == 0


def test_an_unknown_load_or_a_single_core_waits_for_nothing():
    machine = FakeMachine([0.0])
    assert (
        wait_for_free_core(machine.now + 10, cores=2, read=lambda: None, sleep=machine.sleep, clock=machine.clock) == 0
    )
    assert machine.sleeps == []
    single = FakeMachine([0.0], cores=1)
    assert single.wait(single.now + 10) == 0 and single.reads == 0 and single.sleeps == []
