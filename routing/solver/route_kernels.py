# mypy: disable-error-code="no-untyped-def"
"""Numba kernels of one route: its exact schedule, its length, an insertion's sequence.

Feasibility of a route (a fixed sequence) is exact: time windows, precedence, ride limits
(start of drop-off service - end of pickup service <= L), route duration and depot
windows form a system of difference constraints; :func:`_schedule` computes its least
solution (earliest service starts, pickups delayed only as far as their ride limits
force) by Bellman-Ford-style passes and reports infeasibility when a window is exceeded or
the passes do not settle (a positive cycle).

Nodes: 0 start depot, 1..n pickups, n+1..2n drop-offs (request r: r and n+r), 2n+1 end
depot. All numbers are int64 in Problem units. The kernels take plain arrays, so they
carry no type hints (numba infers the types at the first call). The search that uses them
is ``routing.solver.alns_fleet``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# fmt: off
# The kernels take long argument lists (numba compiles plain arrays); they are kept
# packed, not one argument per line.


@njit(cache=True)
def _seed(seed: int) -> None:
    np.random.seed(seed)


@njit(cache=True)
def _schedule(seq, m, T, svc, e, lt, ride, n, tmax, tout, ppos):
    """Earliest feasible service starts of ``seq[:m]`` into ``tout``; False if infeasible."""
    endn = 2 * n + 1
    for x in range(m):
        if seq[x] <= n:
            ppos[seq[x]] = x
    tdep = e[0]
    for it in range(m + 3):
        prev = 0
        dep = tdep
        for x in range(m):
            node = seq[x]
            a = dep + T[prev, node]
            if it > 0 and tout[x] > a:
                a = tout[x]
            if a < e[node]:
                a = e[node]
            if a > lt[node]:
                return False
            tout[x] = a
            dep = a + svc[node]
            prev = node
        tend = dep + T[prev, endn]
        if tend > lt[endn]:
            return False
        changed = False
        for x in range(m):
            node = seq[x]
            if node > n:
                r = node - n
                y = ppos[r]
                lb = tout[x] - ride[r] - svc[r]
                if tout[y] < lb:
                    tout[y] = lb
                    changed = True
        if tend - tdep > tmax:
            tdep = tend - tmax
            if tdep > lt[0]:
                return False
            changed = True
        if not changed:
            return True
    return False


@njit(cache=True)
def _route_cost(seq, m, D, n):
    endn = 2 * n + 1
    if m == 0:
        return np.int64(0)
    c = D[0, seq[0]]
    for x in range(1, m):
        c += D[seq[x - 1], seq[x]]
    return c + D[seq[m - 1], endn]


@njit(cache=True)
def _splice(seq, m, i, j, p, d, out):
    """out = seq[:i] + p + seq[i:j] + d + seq[j:m]; returns its length."""
    w = 0
    for x in range(i):
        out[w] = seq[x]
        w += 1
    out[w] = p
    w += 1
    for x in range(i, j):
        out[w] = seq[x]
        w += 1
    out[w] = d
    w += 1
    for x in range(j, m):
        out[w] = seq[x]
        w += 1
    return w


@njit(cache=True)
def schedule_route(seq, T, svc, e, lt, ride, n, tmax):
    """Service starts of one route (node ids), or an empty array when infeasible."""
    m = seq.shape[0]
    tout = np.empty(m + 1, np.int64)
    ppos = np.empty(n + 1, np.int64)
    if _schedule(seq, m, T, svc, e, lt, ride, n, tmax, tout, ppos):
        return tout[:m].copy()
    return np.empty(0, np.int64)
