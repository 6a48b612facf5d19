"""The solver's one index space: nodes, vehicles and the matrices over nodes.

The OR-Tools model (``ortools_model``), the warm start (``warmstart``), the repair pass
(``repair``) and the ruin-and-recreate search (``improve``/``alns``) all work in this
space, so a route means the same node sequence to each of them and a plan found by one
can start another. No ortools here.

Nodes: 0 is a zero-cost dummy that starts and ends open routes; then one node per depot
of a vehicle class; then two per request, ``pickup_node(i) = first_request_node + 2 i``
and ``dropoff_node(i) = pickup_node(i) + 1``. Requests are the problem's, in the
problem's order unless a seed permutes them (``SolveParams.seed``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routing.problem import ObjectiveKind, Problem, Request, VehicleClass

COPIES_SHARE_DIVISOR = 2
"""Vehicles offered per class: the requests it is cheapest for, + requests / (places / 2)."""


@dataclass(frozen=True, slots=True)
class Node:
    """One node: a request end, a depot, or the dummy start/end of open routes."""

    loc: int  # problem location, -1 for the dummy
    service_s: int
    window_s: tuple[int, int]
    request_idx: int = -1  # position in IndexSpace.requests; -1 for depots
    is_pickup: bool = False


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One vehicle offered to the search: its class and its start and end nodes."""

    cls_idx: int
    start_node: int
    end_node: int


@dataclass(frozen=True, slots=True)
class Visit:
    """One stop of a route: the request's position in the space's requests (the problem's
    order when the space is unseeded), pickup or not, and the service start."""

    request_idx: int
    is_pickup: bool
    service_start_s: int


SpaceRoute = tuple[int, list[int], list[int]]
"""(vehicle index in ``IndexSpace.vehicles``, node sequence, service starts)."""


class IndexSpace:
    """Nodes, vehicles and the matrices over nodes of one problem."""

    def __init__(self, problem: Problem, seed: int = 0) -> None:
        self.problem = problem
        requests = list(problem.requests)
        if seed:
            order = np.random.default_rng(seed).permutation(len(requests))
            requests = [requests[i] for i in order]
        self.requests: list[Request] = requests
        self.position = {r.request_id: i for i, r in enumerate(requests)}
        h0, h1 = problem.horizon_s
        nodes: list[Node] = [Node(-1, 0, (h0, h1))]  # dummy
        depot_node: dict[int, int] = {}
        for cls in problem.vehicle_classes:
            for loc in (cls.start_loc, cls.end_loc):
                if loc is not None and loc not in depot_node:
                    depot_node[loc] = len(nodes)
                    nodes.append(Node(loc, 0, (h0, h1)))
        self.first_request_node = len(nodes)
        for i, r in enumerate(requests):
            nodes.append(Node(r.pickup_loc, r.pickup_service_s, r.pickup_window_s, i, True))
            nodes.append(Node(r.dropoff_loc, r.dropoff_service_s, r.dropoff_window_s, i))
        self.nodes = nodes
        locs = np.asarray([n.loc for n in nodes], dtype=np.int64)
        real = locs >= 0
        safe = np.where(real, locs, 0)
        mask = np.outer(real, real)
        self.travel_s = np.where(mask, problem.duration_s[np.ix_(safe, safe)], 0).astype(np.int64)
        self.distance_m = np.where(mask, problem.distance_m[np.ix_(safe, safe)], 0).astype(np.int64)
        self.service_s = np.asarray([n.service_s for n in nodes], dtype=np.int64)
        self.window_open_s = np.asarray([n.window_s[0] for n in nodes], dtype=np.int64)
        self.window_close_s = np.asarray([n.window_s[1] for n in nodes], dtype=np.int64)
        self.depot_node = depot_node
        self.vehicles = self._make_vehicles()
        classes = problem.vehicle_classes
        self.classes_by_room = sorted(
            range(len(classes)),
            key=lambda ci: (-classes[ci].seats - classes[ci].wheelchair_places, ci),
        )

    def class_terminals(self, cls_idx: int) -> tuple[int, int]:
        """Start and end nodes of a vehicle of this class (0 = the dummy of open routes)."""
        c = self.problem.vehicle_classes[cls_idx]
        start = 0 if c.start_loc is None else self.depot_node[c.start_loc]
        end = 0 if c.end_loc is None else self.depot_node[c.end_loc]
        return start, end

    def vehicle_of_class(self, cls_idx: int) -> Vehicle:
        """A vehicle of this class (not added to ``vehicles``)."""
        return Vehicle(cls_idx, *self.class_terminals(cls_idx))

    def add_vehicles(self, wanted: dict[int, int]) -> None:
        """At least ``wanted[cls_idx]`` vehicles of each class (a warm start may need more)."""
        have: dict[int, int] = {}
        for v in self.vehicles:
            have[v.cls_idx] = have.get(v.cls_idx, 0) + 1
        for ci, n in sorted(wanted.items()):
            c = self.problem.vehicle_classes[ci]
            extra = n - have.get(ci, 0)
            if c.num_available is not None:
                extra = min(extra, c.num_available - have.get(ci, 0))
            self.vehicles += [self.vehicle_of_class(ci) for _ in range(extra)]

    def pickup_node(self, request_idx: int) -> int:
        return self.first_request_node + 2 * request_idx

    def dropoff_node(self, request_idx: int) -> int:
        return self.first_request_node + 2 * request_idx + 1

    def visit_node(self, visit: Visit) -> int:
        """The node of a visit."""
        if visit.is_pickup:
            return self.pickup_node(visit.request_idx)
        return self.dropoff_node(visit.request_idx)

    def compatible(self, r: Request, c: VehicleClass) -> bool:
        """Vehicle rules of one request on one class (loads alone, no times)."""
        if r.allowed_vehicle_types is not None and c.vehicle_type not in r.allowed_vehicle_types:
            return False
        if r.needs_assistant and not c.has_assistant:
            return False
        return c.seats >= r.seats and c.wheelchair_places >= r.wheelchairs

    def _make_vehicles(self) -> list[Vehicle]:
        """A bounded number of copies per class: never more than it could usefully carry."""
        problem = self.problem
        classes = problem.vehicle_classes
        is_cost = problem.objective is ObjectiveKind.COST
        # The class that would carry each request alone most cheaply.
        cheapest: dict[int, int] = {}
        for r in self.requests:
            options = [ci for ci, c in enumerate(classes) if self.compatible(r, c)]
            if options:
                best = min(options, key=lambda ci: (*layout_rank(classes[ci]), ci))
                cheapest[best] = cheapest.get(best, 0) + 1
        vehicles: list[Vehicle] = []
        # Equal-cost layouts: the one with more wheelchair places first, so insertion
        # heuristics (which keep the first vehicle of equal cost) leave room to add more.
        for ci in sorted(range(len(classes)), key=lambda ci: (*layout_rank(classes[ci]), ci)):
            c = classes[ci]
            fits = [r for r in self.requests if self.compatible(r, c)]
            # A layout with wheelchair places, or an assistant, costs more or seats fewer:
            # a vehicle of it is only worth using for a request that needs it.
            if c.has_assistant:
                fits = [r for r in fits if r.needs_assistant]
            if c.wheelchair_places > 0 and is_cost:
                fits = [r for r in fits if r.wheelchairs > 0]
            copies = len(fits)
            if is_cost and COPIES_SHARE_DIVISOR:
                # Beyond the requests it is cheapest for alone, a class is only worth a
                # vehicle when it carries several: at least half its places filled.
                places = max(1, (c.seats + c.wheelchair_places) // COPIES_SHARE_DIVISOR)
                copies = min(copies, cheapest.get(ci, 0) + -(-len(fits) // places))
            if c.num_available is not None:
                copies = min(copies, c.num_available)
            if problem.max_vehicles is not None:
                copies = min(copies, problem.max_vehicles)
            vehicles += [self.vehicle_of_class(ci) for _ in range(copies)]
        return vehicles


def layout_rank(c: VehicleClass) -> tuple[int, int, int]:
    """Order of classes for first choice: cheaper, then more wheelchair places, more seats."""
    return (c.fixed_cost, -c.wheelchair_places, -c.seats)


__all__ = ["IndexSpace", "Node", "SpaceRoute", "Vehicle", "Visit", "layout_rank"]
