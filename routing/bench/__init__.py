"""Readers for public benchmark formats and the harness that runs the solver on them.

``cordeau``: Cordeau's dial-a-ride files; ``solomon``: Solomon's VRPTW files. Both produce
the product's own :class:`routing.problem.Problem`, so the benchmarks measure the product's
solver and checker. ``harness``: run one instance, compare with the best-known value.
"""

from routing.bench.cordeau import load_cordeau_problem, read_cordeau
from routing.bench.instance import BenchInstance, problem_scale, to_problem
from routing.bench.solomon import load_solomon_problem, read_solomon

__all__ = [
    "BenchInstance",
    "load_cordeau_problem",
    "load_solomon_problem",
    "problem_scale",
    "read_cordeau",
    "read_solomon",
    "to_problem",
]
