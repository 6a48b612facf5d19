"""Reader for Solomon's VRPTW instances.

Format (the column layout of the copies in ``../shared/bench/solomon``)::

    # VEHICLE_CAPACITY 200                  (optional comment lines start with '#')
    CUST_NO XCOORD YCOORD DEMAND READY_TIME DUE_DATE SERVICE_TIME
    1 35.00 35.00 0.00 0.00 230.00 0.00     (first data row: the depot)
    ...

Solomon's original text layout (``VEHICLE / NUMBER CAPACITY`` block, then ``CUSTOMER``)
is read as well. The fleet is 25 vehicles unless the file says otherwise (every Solomon
instance has 25). The depot's due date is the horizon and the route-duration limit.

Mapping to the product's pickup-and-drop-off Problem: each customer is one request whose
pickup is the depot, in a window [ready, ready] of the depot (the goods are loaded when
the vehicle leaves; a later visit to the depot cannot load more, so routes stay single
trips) with no service time, and whose drop-off is the customer (the customer's window and
service time). No ride limit. This is an exact reformulation: every VRPTW route is a
feasible route of the Problem with the same distance and vice versa.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from routing.bench.instance import DEFAULT_SCALE, BenchInstance, BenchRequest, to_problem
from routing.errors import InvalidScenarioError, RowIssue
from routing.problem import Problem

CITATION = (
    "Solomon, M. M. (1987). Algorithms for the vehicle routing and scheduling problems "
    "with time window constraints. Operations Research 35(2), 254-265."
)
DEFAULT_NUM_VEHICLES = 25


def read_solomon(path: Path, *, num_vehicles: int | None = None) -> BenchInstance:
    """Read a Solomon VRPTW file.

    Parameters
    ----------
    path
        The instance file (e.g. ``r101.txt``).
    num_vehicles
        Fleet size; default the file's value, else 25.

    Returns
    -------
    BenchInstance
        ``family="vrptw"``; row 0 the depot (start and end); one request per customer.

    Raises
    ------
    InvalidScenarioError
        When a row is malformed or the capacity is missing; ``issues`` names each bad cell.
    """
    fname = path.name
    capacity: int | None = None
    fleet: int | None = None
    rows: list[tuple[int, float, float, float, float, float, float]] = []
    issues: list[RowIssue] = []
    lines = path.read_text().splitlines()
    k = 0
    while k < len(lines):
        toks = lines[k].split()
        line_no = k + 1
        k += 1
        if not toks:
            continue
        if toks[0] == "#":
            if len(toks) >= 3 and toks[1].upper() == "VEHICLE_CAPACITY":
                capacity = int(float(toks[2]))
            elif len(toks) >= 3 and toks[1].upper() == "NUM_VEHICLES":
                fleet = int(float(toks[2]))
            continue
        if toks[0].upper() == "NUMBER" and len(toks) >= 2 and toks[1].upper() == "CAPACITY":
            # Solomon's original layout: the next non-empty line holds "number capacity".
            while k < len(lines) and not lines[k].split():
                k += 1
            nums = lines[k].split()
            fleet, capacity = int(nums[0]), int(nums[1])
            k += 1
            continue
        try:
            vals = [float(t) for t in toks]
        except ValueError:
            continue  # a title or column-header line
        if len(vals) != 7:
            issues.append(RowIssue(fname, line_no, "row", lines[line_no - 1], "expected 7 fields"))
            continue
        rows.append((int(vals[0]), vals[1], vals[2], vals[3], vals[4], vals[5], vals[6]))
    if capacity is None:
        issues.append(RowIssue(fname, 0, "VEHICLE_CAPACITY", "", "capacity not found"))
    if len(rows) < 2:
        issues.append(RowIssue(fname, 0, "rows", str(len(rows)), "need a depot and a customer"))
    if issues or capacity is None:
        raise InvalidScenarioError(f"Solomon file '{fname}' is malformed.", tuple(issues))
    ids = [r[0] for r in rows]
    if len(set(ids)) != len(ids):
        msg = f"Solomon file '{fname}' has duplicate CUST_NO values."
        raise InvalidScenarioError(msg, (RowIssue(fname, 0, "CUST_NO", "", "duplicates"),))

    arr = np.array([r[1:] for r in rows], dtype=np.float64)
    demand = arr[:, 2]
    requests = tuple(
        BenchRequest(pickup_idx=0, dropoff_idx=i, load=round(float(demand[i])))
        for i in range(1, len(rows))
    )
    return BenchInstance(
        name=path.stem,
        family="vrptw",
        node_ids=tuple(ids),
        x=arr[:, 0].copy(),
        y=arr[:, 1].copy(),
        service=arr[:, 5].copy(),
        early=arr[:, 3].copy(),
        late=arr[:, 4].copy(),
        requests=requests,
        num_vehicles=num_vehicles or fleet or DEFAULT_NUM_VEHICLES,
        capacity=capacity,
        max_route_duration=float(arr[0, 4] - arr[0, 3]),
        max_ride=None,
        start_idx=0,
        end_idx=0,
        source=CITATION,
    )


def load_solomon_problem(path: Path, *, scale: int = DEFAULT_SCALE) -> Problem:
    """Read a Solomon VRPTW file straight into a solver-ready Problem (see ``to_problem``)."""
    return to_problem(read_solomon(path), scale=scale)
