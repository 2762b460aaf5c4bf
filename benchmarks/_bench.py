"""Shared helpers of the benchmark scripts: timed child processes, repeat statistics, goals, scratch copies.

Every measurement runs the measured work in a child process and reads that child's resource usage
with ``os.wait4`` (Linux: user + system CPU of the child and of all its waited-for descendants, and
the largest resident set size among them), so CPU time and peak memory include the jobs Snakemake
starts, and each run is measured on its own (``RUSAGE_CHILDREN`` of this process would give the
maximum over all runs so far). Figures are printed, never asserted: speed is measured by
benchmarks, not by timed tests (docs: benchmarks/README.md).
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SNAKEMAKE = BIN / "snakemake"


@dataclass(frozen=True)
class Run:
    """One measured child process: wall and CPU seconds, peak RSS in MB, exit status, output."""

    wall: float
    cpu: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def env() -> dict[str, str]:
    """Environment of the children: this venv first on PATH, the repository's package importable."""
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    pythonpath = os.pathsep.join(p for p in (str(REPO / "workflow"), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PATH": path, "PYTHONPATH": pythonpath}


def run(cmd: Sequence[str], cwd: str | Path | None = None, check: bool = True) -> Run:
    """Run ``cmd`` and measure it: wall time (``time.perf_counter``), CPU = ``ru_utime + ru_stime`` and
    peak memory = ``ru_maxrss`` (KiB on Linux) from ``os.wait4`` of the child (descendants included)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(map(str, cmd)), cwd=cwd, stdout=out, stderr=err, env=env())
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Run(
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )
    if check and result.returncode != 0:
        raise SystemExit(
            f"benchmark command failed ({result.returncode}): {' '.join(map(str, cmd))}\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def snakemake(args: Sequence[str], cwd: str | Path, check: bool = True) -> Run:
    """``snakemake <args>`` of this venv in ``cwd``, measured (see :func:`run`)."""
    return run([str(SNAKEMAKE), *args], cwd=cwd, check=check)


@dataclass(frozen=True)
class Stats:
    """Median and minimum over the repeats of one measurement."""

    label: str
    runs: tuple[Run, ...]

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def wall_min(self) -> float:
        return min(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def cpu_min(self) -> float:
        return min(r.cpu for r in self.runs)

    @property
    def max_rss_mb(self) -> float:
        return max(r.max_rss_mb for r in self.runs)


def repeat(label: str, n: int, once: Callable[[], Run], before: Callable[[], None] | None = None) -> Stats:
    """Measure ``once()`` ``n`` times (``before()`` unmeasured before each) and print one line."""
    runs = []
    for _ in range(n):
        if before is not None:
            before()
        runs.append(once())
    stats = Stats(label, tuple(runs))
    print_stats(stats)
    return stats


HEADER = (
    f"{'measurement':46s} {'wall med':>9s} {'wall min':>9s} {'cpu med':>9s} {'cpu min':>9s} {'peak RSS':>9s}"
)


def print_stats(s: Stats) -> None:
    """One table row: median/min wall and CPU seconds, peak RSS (MB) over the repeats."""
    print(
        f"{s.label:46s} {s.wall:8.2f}s {s.wall_min:8.2f}s {s.cpu:8.2f}s {s.cpu_min:8.2f}s "
        f"{s.max_rss_mb:7.0f}MB",
        flush=True,
    )


def goal(what: str, value: float, limit: float, unit: str = "s") -> bool:
    """Print ``goal met`` or ``missed by X`` for ``value <= limit``; True when met."""
    if value <= limit:
        print(f"  goal {what} <= {limit:g} {unit}: {value:.2f} {unit}, goal met", flush=True)
        return True
    print(
        f"  goal {what} <= {limit:g} {unit}: {value:.2f} {unit}, missed by {value - limit:.2f} {unit} "
        f"({value / limit:.1f}x the goal)",
        flush=True,
    )
    return False


def ratio(what: str, value: float, baseline: float, baseline_label: str) -> float:
    """Print ``value / baseline`` (a baseline measured in the same run)."""
    r = value / baseline if baseline > 0 else float("inf")
    print(f"  ratio {what} / {baseline_label}: {r:.2f}", flush=True)
    return r


def machine() -> str:
    """The machine the figures come from: cores, CPU model, Python, load, date (UTC)."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"machine: nproc {os.cpu_count()}, CPU {model}, Python {platform.python_version()}, "
        f"load average {load}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def print_machine() -> None:
    """Print the machine line and warn when the load exceeds the number of cores."""
    print(machine())
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(
            "WARNING: the machine is loaded (1-min load average > cores): figures are inflated; "
            "take final figures on a quiet machine."
        )


def scratch(parent: str | Path | None = None, copy: Sequence[str] = (), data: Path | None = None) -> Path:
    """A scratch work directory for Snakemake that links the repository's inputs (like the `built`
    fixture of tests/conftest.py): Snakefile, workflow, config, data, requirements.lock and
    reports/templates are symlinks, except the entries in ``copy`` (copied, so they can be edited
    without touching the repository). ``data``: a directory linked as ``data`` instead of the
    repository's (the scale benchmark's generated exports)."""
    work = Path(tempfile.mkdtemp(prefix="mhsurvey-bench-", dir=parent))
    (work / "reports").mkdir()
    for name in ("Snakefile", "workflow", "config", "data", "requirements.lock", "reports/templates"):
        src = data if (name == "data" and data is not None) else REPO / name
        if name in copy:
            shutil.copytree(src, work / name, symlinks=True) if src.is_dir() else shutil.copy2(
                src, work / name
            )
        else:
            (work / name).symlink_to(src)
    return work


def job_counts(dry_run_output: str) -> dict[str, int]:
    """Jobs per rule from the ``Job stats`` table of ``snakemake -n`` (empty when nothing to do)."""
    counts: dict[str, int] = {}
    lines = dry_run_output.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "Job stats:":
            for row in lines[i + 3 :]:
                parts = row.split()
                if len(parts) != 2 or parts[0] == "total":
                    break
                counts[parts[0]] = int(parts[1])
            break
    return counts
