"""The solver: a routing Problem in, a domain Plan out.

Rooms (imports point down the list; only ``ortools_model`` imports ortools):

- ``space``: the one index space (nodes, vehicles, matrices over nodes) and ``Visit``;
- ``schedule``: exact checks of a route (loads, vehicle rules, windows, ride limits,
  boarding and hand-over times, shift) and its cost in objective units;
- ``sizing``: the cheapest vehicle class that runs a route (right-sizing);
- ``warmstart``: large single-school routes to start from;
- ``repair``: sibling groups split by a search, left-out requests inserted;
- ``plans``: routes of the space to a Plan (the one visit-to-Plan builder) and back;
- ``alns``, ``alns_fleet``, ``fleet_search``, ``improve``, ``pyvrp_search``: the
  ruin-and-recreate search (one class with seats only; the pupils' full model with a
  vehicle class per route) and PyVRP;
- ``ortools_model``: the OR-Tools model and its guided local search;
- ``assemble``: ``solve(problem, params, initial=None)``, which puts them together.
"""

from routing.solver.assemble import solve
from routing.solver.plans import NOT_PLACED_REASON, plan_from_visits
from routing.solver.sizing import route_for_visits
from routing.solver.space import Visit

__all__ = ["NOT_PLACED_REASON", "Visit", "plan_from_visits", "route_for_visits", "solve"]
