"""After a search: split sibling groups the search left apart, insert what it left out.

Both work on routes of the index space with the exact checks of ``schedule``; no ortools.
"""

from __future__ import annotations

import logging
import time

from routing.solver.schedule import route_cost, route_ok
from routing.solver.space import IndexSpace, SpaceRoute, Vehicle

logger = logging.getLogger(__name__)


def insert_best(
    space: IndexSpace, veh: Vehicle, seq: list[int], request_idx: int
) -> tuple[int, list[int], list[int]] | None:
    """Cheapest feasible positions of one request's pickup and drop-off in ``seq``."""
    p, d = space.pickup_node(request_idx), space.dropoff_node(request_idx)
    best: tuple[int, list[int], list[int]] | None = None
    for i in range(len(seq) + 1):
        for j in range(i, len(seq) + 1):
            cand = [*seq[:i], p, *seq[i:j], d, *seq[j:]]
            cost = route_cost(space, veh, cand)
            if best is not None and cost >= best[0]:
                continue
            starts = route_ok(space, veh, cand)
            if starts is not None:
                best = (cost, cand, starts)
    return best


def _repair_units(
    space: IndexSpace, routes: list[SpaceRoute], missing: list[int]
) -> tuple[list[list[int]], dict[int, int]]:
    """Units to insert (same-vehicle groups together) and the vehicle a member is pinned to.

    A group member already on a route pins the rest of its group to that vehicle.
    """
    units: list[list[int]] = []
    grouped: set[int] = set()
    vehicle_of = {space.nodes[n].request_idx: vi for vi, seq, _ in routes for n in seq}
    pinned: dict[int, int] = {}
    for group in space.problem.same_vehicle:
        present = [space.position[g] for g in group if g in space.position]
        members = [i for i in present if i in missing]
        on = {vehicle_of[i] for i in present if i in vehicle_of}
        if members and on:
            for i in members:
                pinned[i] = next(iter(on))
        if len(members) > 1:
            units.append(members)
            grouped.update(members)
    units += [[i] for i in missing if i not in grouped]
    return units, pinned


class _Fleet:
    """Vehicles in use per capped type, for new routes of the repair pass."""

    def __init__(self, space: IndexSpace, routes: list[SpaceRoute]) -> None:
        self.space = space
        self.used = {vi for vi, _, _ in routes}
        self.cap: dict[str, int] = {}
        self.in_use: dict[str, int] = {}
        for vi, v in enumerate(space.vehicles):
            c = space.problem.vehicle_classes[v.cls_idx]
            if c.num_available is not None:
                self.cap[c.vehicle_type] = c.num_available
                self.in_use.setdefault(c.vehicle_type, 0)
                if vi in self.used:
                    self.in_use[c.vehicle_type] += 1

    def free_vehicles(self) -> list[int]:
        """One unused vehicle per class whose type still has vehicles left."""
        out: list[int] = []
        seen: set[int] = set()
        for vi, v in enumerate(self.space.vehicles):
            name = self.space.problem.vehicle_classes[v.cls_idx].vehicle_type
            if vi in self.used or v.cls_idx in seen:
                continue
            if name in self.cap and self.in_use[name] >= self.cap[name]:
                continue
            seen.add(v.cls_idx)
            out.append(vi)
        return out

    def take(self, vi: int) -> None:
        self.used.add(vi)
        name = self.space.problem.vehicle_classes[self.space.vehicles[vi].cls_idx].vehicle_type
        if name in self.cap:
            self.in_use[name] += 1


def _best_place(
    space: IndexSpace, options: list[tuple[int, int, list[int]]], unit: list[int]
) -> tuple[int, int, int, list[int], list[int]] | None:
    """(added cost, route slot or -1, vehicle, sequence, starts) of the cheapest option."""
    best: tuple[int, int, int, list[int], list[int]] | None = None
    for slot, vi, seq in options:
        veh = space.vehicles[vi]
        base = route_cost(space, veh, seq) if seq else 0
        cand: tuple[int, list[int], list[int]] | None = (base, seq, [])
        for i in unit:
            assert cand is not None
            cand = insert_best(space, veh, cand[1], i)
            if cand is None:
                break
        if cand is None:
            continue
        delta = cand[0] - base
        if best is None or delta < best[0]:
            best = (delta, slot, vi, cand[1], cand[2])
    return best


def repair(space: IndexSpace, routes: list[SpaceRoute], deadline: float) -> list[SpaceRoute]:
    """Place requests the search left out, where a cheap insertion finds room.

    Same-vehicle groups go in together (into one existing route, or one new vehicle);
    other requests one by one. The search stops when it runs out of time or keeps a
    request out because of a soft constraint; this pass costs milliseconds for a few
    requests and stops at ``deadline`` (``time.monotonic()``) when many are left out.
    """
    served = {space.nodes[n].request_idx for _, seq, _ in routes for n in seq}
    missing = [i for i in range(len(space.requests)) if i not in served]
    if not missing:
        return routes
    units, pinned = _repair_units(space, routes, missing)
    routes = list(routes)
    fleet = _Fleet(space, routes)
    placed = 0
    for unit in units:
        if time.monotonic() > deadline:
            break
        options = [(k, vi, seq) for k, (vi, seq, _) in enumerate(routes)]
        options += [(-1, vi, []) for vi in fleet.free_vehicles()]
        if unit[0] in pinned:
            options = [o for o in options if o[0] >= 0 and o[1] == pinned[unit[0]]]
        best = _best_place(space, options, unit)
        if best is None:
            continue
        _, slot, vi, seq, starts = best
        if slot >= 0:
            routes[slot] = (vi, seq, starts)
        else:
            routes.append((vi, seq, starts))
            fleet.take(vi)
        placed += len(unit)
    if placed:
        logger.info(
            "%s: repair placed %d request(s) the search left out", space.problem.name, placed
        )
    return routes


def split_groups(space: IndexSpace, routes: list[SpaceRoute]) -> list[SpaceRoute]:
    """Take out requests of a same-vehicle group that the search left on several vehicles.

    They are then unassigned (no feasible vehicle found); the rest of each route keeps
    its order and the search's times.
    """
    vehicle_of: dict[int, int] = {}
    for vi, seq, _ in routes:
        for n in seq:
            vehicle_of[space.nodes[n].request_idx] = vi
    drop: set[int] = set()
    for group in space.problem.same_vehicle:
        members = [space.position[g] for g in group if g in space.position]
        used = {vehicle_of[i] for i in members if i in vehicle_of}
        if len(used) > 1:
            drop.update(members)
    if not drop:
        return routes
    # Expected, not a fault: the plan reports them unassigned with the siblings' reason.
    logger.info("%s: %d sibling request(s) split by the search", space.problem.name, len(drop))
    out: list[SpaceRoute] = []
    for vi, seq, cumuls in routes:
        kept = [
            (n, c)
            for n, c in zip(seq, cumuls, strict=True)
            if space.nodes[n].request_idx not in drop
        ]
        if kept:
            out.append((vi, [n for n, _ in kept], [c for _, c in kept]))
    return out


__all__ = ["insert_best", "repair", "split_groups"]
