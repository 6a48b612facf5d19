"""Named points in the worker where a fault test can stop it dead.

A test sets ``SCHOOLRUN_FAULT_PAUSE_AT`` to one point name (or several, comma-separated)
and ``SCHOOLRUN_FAULT_PAUSE_DIR`` to a folder. When a worker reaches that point it writes
``DIR/POINT.PID`` (the job id inside) and waits there, doing nothing, until it is killed:
the test sees the file and sends SIGKILL to a process that is known to be exactly there.
The kill is real (another process, the kernel's SIGKILL); only the moment is chosen.

With the variable unset (always, outside fault tests) :func:`reach` returns at once.
"""

from __future__ import annotations

import logging
import os
import threading
from enum import StrEnum
from pathlib import Path

logger = logging.getLogger(__name__)


class FaultPoint(StrEnum):
    """Where in a job a worker can be stopped (the order a job passes them)."""

    CLAIMED = "claimed"  # the job's lease is ours, nothing else done
    SOLVING = "solving"  # inside the solver, at its first progress report
    SOLVED = "solved"  # the plan is in memory, the write not begun
    WRITING = "writing"  # plan rows and the job's new state sent, not committed


def reach(point: FaultPoint, job_id: str, pause_at: str, pause_dir: Path | None) -> None:
    """Pause here for good when ``pause_at`` names ``point`` (a fault test's hook).

    Parameters
    ----------
    point
        The point the worker has reached.
    job_id
        The job in hand (written into the marker file).
    pause_at
        Comma-separated point names (settings ``FAULT_PAUSE_AT``; empty: never pause).
    pause_dir
        Where to write the marker ``POINT.PID`` (settings ``FAULT_PAUSE_DIR``).
    """
    if not pause_at or point.value not in {p.strip() for p in pause_at.split(",")}:
        return
    if pause_dir is None:
        msg = "SCHOOLRUN_FAULT_PAUSE_AT is set but SCHOOLRUN_FAULT_PAUSE_DIR is not."
        raise RuntimeError(msg)
    marker = pause_dir / f"{point.value}.{os.getpid()}"
    # Written then renamed, so a watcher never reads a half-written marker.
    partial = pause_dir / f".{marker.name}.partial"
    partial.write_text(job_id)
    partial.replace(marker)
    logger.warning("fault point %s reached in job %s: pausing until killed", point, job_id)
    threading.Event().wait()
