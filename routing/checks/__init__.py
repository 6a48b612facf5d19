"""Independent feasibility checker: recomputes a plan from the scenario and the matrix.

Every plan passes :func:`check_plan` before it is returned or written. The checker
recomputes loads, times, ride times, distances and costs from the scenario and the
:class:`~routing.matrix.TravelMatrix` alone. It deliberately does **not** import OR-Tools,
``routing.solver`` or ``routing.problem``: a bug in the problem builder (a wrong window, a
wrong service time) must not hide in both the solver's model and its check.

:func:`check_problem_plan` judges plans of problems built directly as a
``routing.problem.Problem`` (the public benchmarks), reading only that problem's data.
Both share one route simulation (:mod:`routing.checks.route`) and the run-wide rules
(:mod:`routing.checks.rules`); :mod:`routing.checks.scenario` and
:mod:`routing.checks.benchmark` hold the two checkers.

Conventions (the team's money and time model):

- ride time = drop-off service start - pickup departure (end of pickup service, Cordeau);
- a stop's service time = sum of ``boarding_s`` of the pupils at a home stop,
  ``school.handover_s`` per pupil at a school stop;
- arrival at a stop >= previous departure + travel ``duration_s`` (the vehicle may wait
  on the way), ``service_start_s >= arrival_s``, ``departure_s = service_start_s +
  service``; times may be off by ``TIME_TOLERANCE_S`` for rounding;
- route duration = first arrival to last departure, or depot to depot;
- a route's ``distance_m`` is the matrix sum of its legs (``DISTANCE_TOLERANCE_M`` per leg);
- a wheelchair user takes a wheelchair place, every other pupil a seat; a passenger
  assistant has already taken a seat (``Route.seats`` is what is left for pupils).
"""

from routing.checks.benchmark import check_problem_plan
from routing.checks.scenario import check_plan
from routing.checks.violations import (
    COORD_TOLERANCE_DEG,
    COST_TOLERANCE_PENCE,
    DISTANCE_TOLERANCE_M,
    TIME_TOLERANCE_S,
    Violation,
    ViolationKind,
)

__all__ = [
    "COORD_TOLERANCE_DEG",
    "COST_TOLERANCE_PENCE",
    "DISTANCE_TOLERANCE_M",
    "TIME_TOLERANCE_S",
    "Violation",
    "ViolationKind",
    "check_plan",
    "check_problem_plan",
]
