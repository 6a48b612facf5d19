"""Reader for Cordeau's dial-a-ride (DARP) instance format.

Format (Cordeau 2006, the ``a``/``b`` sets; also Cordeau & Laporte 2003 ``pr`` files)::

    K 2n T Q L
    i x y service load early late      (one row per node)

Row 0 is the depot, rows 1..n the pickups, n+1..2n the matching drop-offs (request i is
picked up at node i and dropped at node n+i), and an optional last row 2n+1 the end depot.
K is the number of vehicles, T the maximum route duration, Q the capacity, L the maximum
ride time. Travel time = Euclidean distance, double precision. Ride time is measured from
the end of pickup service to the start of drop-off service.

The copies in circulation disagree on the header's second field (some write the number
of requests n, some 2n) and on the separator (tabs or spaces); the reader therefore takes
n from the rows and accepts either header value, warning about anything else.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from routing.bench.instance import DEFAULT_SCALE, BenchInstance, BenchRequest, to_problem
from routing.errors import InvalidScenarioError, RowIssue
from routing.problem import Problem

logger = logging.getLogger(__name__)

CITATION = (
    "Cordeau, J.-F. (2006). A branch-and-cut algorithm for the dial-a-ride problem. "
    "Operations Research 54(3), 573-586."
)
_HEADER_FIELDS = ("K", "2n", "T", "Q", "L")
_ROW_FIELDS = ("i", "x", "y", "service", "load", "early", "late")


def read_cordeau(path: Path) -> BenchInstance:
    """Read a Cordeau DARP file.

    Parameters
    ----------
    path
        The instance file (e.g. ``a2-16.txt``).

    Returns
    -------
    BenchInstance
        ``family="darp"``; node ids as in the file; ``end_idx`` the end-depot row when the
        file has one, else 0.

    Raises
    ------
    InvalidScenarioError
        When a row is malformed or the pickups and drop-offs do not pair up; ``issues``
        names each bad cell.
    """
    fname = path.name
    lines = [ln.split() for ln in path.read_text().splitlines()]
    numbered = [(k + 1, toks) for k, toks in enumerate(lines) if toks]
    if not numbered:
        msg = f"Cordeau file '{fname}' is empty."
        raise InvalidScenarioError(msg, (RowIssue(fname, 0, "file", "", "empty file"),))
    issues: list[RowIssue] = []
    head_row, head = numbered[0]
    if len(head) < len(_HEADER_FIELDS):
        issues.append(RowIssue(fname, head_row, "header", " ".join(head), "expected 'K 2n T Q L'"))
        raise InvalidScenarioError(f"Cordeau file '{fname}' has a bad header.", tuple(issues))
    try:
        num_vehicles = int(head[0])
        header_nodes = int(head[1])
        max_duration = float(head[2])
        capacity = int(head[3])
        max_ride = float(head[4])
    except ValueError as err:
        issues.append(RowIssue(fname, head_row, "header", " ".join(head), str(err)))
        raise InvalidScenarioError(
            f"Cordeau file '{fname}' has a bad header.", tuple(issues)
        ) from err

    rows: list[tuple[int, float, float, float, int, float, float]] = []
    for line_no, toks in numbered[1:]:
        if len(toks) < len(_ROW_FIELDS):
            issues.append(RowIssue(fname, line_no, "row", " ".join(toks), "expected 7 fields"))
            continue
        try:
            rows.append(
                (
                    int(toks[0]),
                    float(toks[1]),
                    float(toks[2]),
                    float(toks[3]),
                    int(float(toks[4])),
                    float(toks[5]),
                    float(toks[6]),
                )
            )
        except ValueError as err:
            issues.append(RowIssue(fname, line_no, "row", " ".join(toks), str(err)))
    if issues:
        raise InvalidScenarioError(f"Cordeau file '{fname}' has bad rows.", tuple(issues))

    for k, row in enumerate(rows):
        if row[0] != k:
            issues.append(
                RowIssue(fname, numbered[k + 1][0], "i", str(row[0]), f"expected node {k}")
            )
    # An end depot is a last row with load 0 that makes the count even (0..2n+1).
    has_end_depot = len(rows) % 2 == 0 and rows[-1][4] == 0
    num_nodes = len(rows) - (1 if has_end_depot else 0)
    if num_nodes % 2 != 1 or num_nodes < 3:
        issues.append(
            RowIssue(fname, 0, "rows", str(len(rows)), "expected a depot and n request pairs")
        )
        raise InvalidScenarioError(f"Cordeau file '{fname}' has bad node count.", tuple(issues))
    n = (num_nodes - 1) // 2
    if header_nodes not in (n, 2 * n):
        logger.warning(
            "Cordeau file %s: header says %d nodes, rows give n=%d requests; using the rows.",
            fname,
            header_nodes,
            n,
        )
    requests: list[BenchRequest] = []
    for i in range(1, n + 1):
        load_p, load_d = rows[i][4], rows[n + i][4]
        if load_p <= 0 or load_d != -load_p:
            issues.append(
                RowIssue(
                    fname,
                    numbered[n + i + 1][0],
                    "load",
                    str(load_d),
                    f"drop-off of request {i} must carry -{load_p}",
                )
            )
        requests.append(BenchRequest(pickup_idx=i, dropoff_idx=n + i, load=load_p))
    if issues:
        raise InvalidScenarioError(f"Cordeau file '{fname}' is inconsistent.", tuple(issues))

    arr = np.array([r[1:4] + r[5:7] for r in rows], dtype=np.float64)
    return BenchInstance(
        name=path.stem,
        family="darp",
        node_ids=tuple(r[0] for r in rows),
        x=arr[:, 0].copy(),
        y=arr[:, 1].copy(),
        service=arr[:, 2].copy(),
        early=arr[:, 3].copy(),
        late=arr[:, 4].copy(),
        requests=tuple(requests),
        num_vehicles=num_vehicles,
        capacity=capacity,
        max_route_duration=max_duration,
        max_ride=max_ride,
        start_idx=0,
        end_idx=len(rows) - 1 if has_end_depot else 0,
        source=CITATION,
    )


def load_cordeau_problem(path: Path, *, scale: int = DEFAULT_SCALE) -> Problem:
    """Read a Cordeau DARP file straight into a solver-ready Problem (see ``to_problem``)."""
    return to_problem(read_cordeau(path), scale=scale)
