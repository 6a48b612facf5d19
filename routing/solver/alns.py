# mypy: disable-error-code="no-untyped-def"
"""Adaptive large-neighbourhood search for pickup-and-drop-off problems with ride limits.

Ruin and recreate (Ropke & Pisinger 2006 for the PDPTW; Cordeau & Laporte's DARP
constraints), compiled with numba: remove a few requests (random, related to a seed
request, or the most expensive), re-insert them one by one at their cheapest feasible
positions over all routes, accept by simulated annealing, keep the best.

Feasibility of a route (a fixed sequence) is exact: time windows, precedence, capacity,
ride limits (start of drop-off service - end of pickup service <= L), route duration and
depot windows form a system of difference constraints; :func:`_schedule` computes its
least solution (earliest service starts, pickups delayed only as far as their ride limits
force) by Bellman-Ford-style passes and reports infeasibility when a window is exceeded or
the passes do not settle (a positive cycle). Insertions are tried in order of their added
distance, with O(1) capacity and window pre-filters, so the exact check runs on few.

Nodes: 0 start depot, 1..n pickups, n+1..2n drop-offs (request r: r and n+r), 2n+1 end
depot. All numbers are int64 in Problem units. The kernels are numba-compiled and take
plain arrays, so they carry no type hints (numba infers the types at the first call).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

# fmt: off
# The kernels take long argument lists (numba compiles plain arrays); they are kept
# packed, not one argument per line.

_INF = np.int64(1) << np.int64(60)

_Work = namedtuple(
    "_Work",
    [
        "cand_d",
        "cand_k",
        "cand_i",
        "cand_j",
        "scratch",
        "tscratch",
        "ppos",
        "loads",
        "zlate",
        "cum",
    ],
)
"""Scratch arrays of the insertion, allocated once per kernel call."""


@njit(cache=True)
def _workspace(n, K, maxl):
    cand_size = K * (maxl + 1) * (maxl + 2) // 2 + 1
    return _Work(
        np.empty(cand_size, np.int64),
        np.empty(cand_size, np.int64),
        np.empty(cand_size, np.int64),
        np.empty(cand_size, np.int64),
        np.empty(maxl + 2, np.int64),
        np.empty(maxl + 2, np.int64),
        np.empty(n + 1, np.int64),
        np.empty(maxl + 2, np.int64),
        np.empty(maxl + 2, np.int64),
        np.empty(maxl + 2, np.int64),
    )


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
def _route_bounds(seq, m, T, svc, lt, q, endn, loads, zlate, cum):
    """Loads after each position; latest service starts (windows only, a necessary
    bound); cum[x] = earliest gap from the start of seq[0] to the start of seq[x]."""
    acc = 0
    for x in range(m):
        acc += q[seq[x]]
        loads[x] = acc
    zlate[m] = lt[endn]
    for x in range(m - 1, -1, -1):
        nx = endn if x == m - 1 else seq[x + 1]
        z = zlate[x + 1] - T[seq[x], nx] - svc[seq[x]]
        zlate[x] = z if z < lt[seq[x]] else lt[seq[x]]
    if m > 0:
        cum[0] = 0
        for x in range(1, m):
            cum[x] = cum[x - 1] + svc[seq[x - 1]] + T[seq[x - 1], seq[x]]


@njit(cache=True)
def _route_candidates(r, k, seq, m, times, T, D, svc, e, lt, ride, q, n, cap, fixed, ws, nc, noise):
    """Append the insertions of request r into route k that pass the O(1) pre-filters.

    Row ``nc`` of ``ws.cand_*``: added cost with noise, route, pickup position,
    drop-off position; returns the new number of rows.
    """
    loads = ws.loads
    zlate = ws.zlate
    cum = ws.cum
    p = r
    d = n + r
    endn = 2 * n + 1
    qr = q[r]
    _route_bounds(seq, m, T, svc, lt, q, endn, loads, zlate, cum)
    for i in range(m + 1):
        prev = 0 if i == 0 else seq[i - 1]
        nxt = endn if i == m else seq[i]
        before = 0 if i == 0 else loads[i - 1]
        if before + qr > cap:
            continue
        dep_prev = e[0] if i == 0 else times[i - 1] + svc[prev]
        ap = dep_prev + T[prev, p]
        if ap < e[p]:
            ap = e[p]
        if ap > lt[p]:
            continue
        base_i = D[prev, p] + D[p, nxt] - D[prev, nxt]
        # can anything follow p at position i (j > i)?
        later_ok = i < m and ap + svc[p] + T[p, nxt] <= zlate[i]
        runmax = before
        for j in range(i, m + 1):
            if j > i:
                if not later_ok:
                    break
                lj = loads[j - 1]
                if lj > runmax:
                    runmax = lj
                if runmax + qr > cap:
                    break
                pj = seq[j - 1]
                # ride lower bound along the route (non-decreasing in j)
                path = T[p, nxt] + cum[j - 1] - cum[i] + svc[pj] + T[pj, d]
                if path > ride[r]:
                    break
                nj = endn if j == m else seq[j]
                delta = base_i + D[pj, d] + D[d, nj] - D[pj, nj]
                ad = times[j - 1] + svc[pj] + T[pj, d]
                if ad < e[d]:
                    ad = e[d]
                if ad > lt[d] or ad + svc[d] + T[d, nj] > zlate[j]:
                    continue
            else:
                delta = D[prev, p] + D[p, d] + D[d, nxt] - D[prev, nxt]
                ad = ap + svc[p] + T[p, d]
                if ad < e[d]:
                    ad = e[d]
                if ad > lt[d] or T[p, d] > ride[r]:
                    continue
                if ad + svc[d] + T[d, nxt] > zlate[i]:
                    continue
            if m == 0:
                delta += fixed
            ws.cand_d[nc] = delta + (np.random.randint(0, noise + 1) if noise > 0 else 0)
            ws.cand_k[nc] = k
            ws.cand_i[nc] = i
            ws.cand_j[nc] = j
            nc += 1
    return nc


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
def _best_insertion(
    r, routes, rlen, rtimes, K, T, D, svc, e, lt, ride, q, n, cap, tmax, fixed, ws, noise
):
    """Cheapest feasible insertion of request r: (delta, k, i, j) or k = -1.

    Candidates from every non-empty route and one empty route are sorted by added cost
    and checked exactly (:func:`_schedule`) in that order.
    """
    nc = 0
    tried_empty = False
    for k in range(K):
        m = rlen[k]
        if m == 0:
            if tried_empty:
                continue
            tried_empty = True
        nc = _route_candidates(
            r, k, routes[k], m, rtimes[k], T, D, svc, e, lt, ride, q, n, cap, fixed, ws, nc,
            noise,
        )
    if nc == 0:
        return _INF, -1, -1, -1
    order = np.argsort(ws.cand_d[:nc])
    for c in range(nc):
        o = order[c]
        k = ws.cand_k[o]
        i = ws.cand_i[o]
        j = ws.cand_j[o]
        w = _splice(routes[k], rlen[k], i, j, r, n + r, ws.scratch)
        if _schedule(ws.scratch, w, T, svc, e, lt, ride, n, tmax, ws.tscratch, ws.ppos):
            return ws.cand_d[o], k, i, j
    return _INF, -1, -1, -1


@njit(cache=True)
def _insert(routes, rlen, rtimes, rcost, k, i, j, r, n, T, D, svc, e, lt, ride, tmax, ws):
    seq = routes[k]
    w = _splice(seq, rlen[k], i, j, r, n + r, ws.scratch)
    for x in range(w):
        seq[x] = ws.scratch[x]
    rlen[k] = w
    _schedule(seq, w, T, svc, e, lt, ride, n, tmax, rtimes[k], ws.ppos)
    rcost[k] = _route_cost(seq, w, D, n)


@njit(cache=True)
def _remove(routes, rlen, rtimes, rcost, where, r, n, T, D, svc, e, lt, ride, tmax, ppos):
    k = where[r]
    seq = routes[k]
    m = rlen[k]
    w = 0
    for x in range(m):
        if seq[x] != r and seq[x] != n + r:
            seq[w] = seq[x]
            w += 1
    rlen[k] = w
    where[r] = -1
    if w > 0:
        _schedule(seq, w, T, svc, e, lt, ride, n, tmax, rtimes[k], ppos)
    rcost[k] = _route_cost(seq, w, D, n)


@njit(cache=True)
def _total(rcost, rlen, K, fixed, unassigned, penalty):
    t = np.int64(0)
    for k in range(K):
        if rlen[k] > 0:
            t += rcost[k] + fixed
    return t + unassigned * penalty


@njit(cache=True)
def _relatedness(s, rel, D, e, lt, n):
    """rel[r]: distance and time from seed request s (rel[0] is never chosen)."""
    for r in range(1, n + 1):
        rel[r] = D[s, r] + D[n + s, n + r] + (abs(e[s] - e[r]) + abs(lt[n + s] - lt[n + r])) // 4
    rel[0] = _INF


@njit(cache=True)
def _worst_savings(rel, w_routes, w_rlen, w_where, D, n, K):
    """rel[r]: minus what removing r saves (randomised); placed requests only."""
    for r in range(1, n + 1):
        rel[r] = 0
    for k in range(K):
        m = w_rlen[k]
        seq = w_routes[k]
        for x in range(m):
            node = seq[x]
            prev = 0 if x == 0 else seq[x - 1]
            nxt = 2 * n + 1 if x == m - 1 else seq[x + 1]
            sav = D[prev, node] + D[node, nxt] - D[prev, nxt]
            r = node if node <= n else node - n
            rel[r] -= sav + np.random.randint(0, 1 + sav // 2 + 1)
    rel[0] = _INF
    for r in range(1, n + 1):
        if w_where[r] < 0:
            rel[r] = _INF


@njit(cache=True)
def _ruin(op, want, w, removed, nr, rel, T, D, svc, e, lt, ride, n, K, tmax, ppos):
    """Remove requests from the working routes ``w`` until ``want`` are out.

    op 0: random; 1: related to a random seed request (distance and time), each
    candidate skipped with probability 1/4; 2: worst (largest saving, randomised).
    """
    w_routes, w_rlen, w_rtimes, w_rcost, w_where = w
    if op == 0:
        while nr < want and nr < n:
            r = np.random.randint(1, n + 1)
            if w_where[r] >= 0:
                _remove(
                    w_routes, w_rlen, w_rtimes, w_rcost, w_where, r, n, T, D, svc, e, lt, ride,
                    tmax, ppos,
                )
                removed[nr] = r
                nr += 1
        return nr
    if op == 1:
        _relatedness(np.random.randint(1, n + 1), rel, D, e, lt, n)
    else:
        _worst_savings(rel, w_routes, w_rlen, w_where, D, n, K)
    order = np.argsort(rel)
    c = 0
    while nr < want and nr < n and c < n + 1:
        r = order[c]
        c += 1
        if r == 0 or w_where[r] < 0:
            continue
        if op == 1 and np.random.random() < 0.25:
            continue
        _remove(
            w_routes, w_rlen, w_rtimes, w_rcost, w_where, r, n, T, D, svc, e, lt, ride, tmax, ppos
        )
        removed[nr] = r
        nr += 1
    return nr


@njit(cache=True)
def _order_removed(removed, nr, mode, D, e, ride, n):
    """Recreate order: 0 random, 1 earliest window first, 2 farthest first."""
    if mode == 0:
        np.random.shuffle(removed[:nr])
        return
    key = np.empty(nr, np.int64)
    for x in range(nr):
        r = removed[x]
        key[x] = e[r] if e[r] > e[n + r] - ride[r] else e[n + r] - ride[r]
        if mode == 2:
            key[x] = -(D[0, r] + D[n + r, 2 * n + 1])
    o = np.argsort(key)
    tmp = removed[:nr].copy()
    for x in range(nr):
        removed[x] = tmp[o[x]]


@njit(cache=True)
def _recreate(removed, nr, w, T, D, svc, e, lt, ride, q, n, K, cap, tmax, fixed, ws, noise):
    """Insert ``removed[:nr]`` in order, each at its cheapest feasible place; # left out."""
    w_routes, w_rlen, w_rtimes, w_rcost, w_where = w
    left = 0
    for x in range(nr):
        r = removed[x]
        _dlt, k, i, j = _best_insertion(
            r, w_routes, w_rlen, w_rtimes, K, T, D, svc, e, lt, ride, q, n, cap, tmax, fixed,
            ws, noise,
        )
        if k < 0:
            left += 1
            continue
        _insert(
            w_routes, w_rlen, w_rtimes, w_rcost, k, i, j, r, n, T, D, svc, e, lt, ride, tmax, ws
        )
        w_where[r] = k
    return left


@njit(cache=True)
def _copy_routes(src, dst):
    dst[0][:, :] = src[0]
    dst[1][:] = src[1]
    dst[2][:, :] = src[2]
    dst[3][:] = src[3]
    dst[4][:] = src[4]


@njit(cache=True)
def _run(
    T, D, svc, e, lt, ride, q, n, K, cap, tmax, fixed, penalty, routes, rlen, rtimes, rcost,
    where, best_routes, best_rlen, best_obj, iters, temp0, temp1, qmin, qmax, noise,
):
    """Run ``iters`` ALNS iterations from the current solution; returns the best objective."""
    ws = _workspace(n, K, routes.shape[1])
    cur_sol = (routes, rlen, rtimes, rcost, where)
    w = (routes.copy(), rlen.copy(), rtimes.copy(), rcost.copy(), where.copy())
    removed = np.empty(n, np.int64)
    rel = np.empty(n + 1, np.int64)
    unassigned = 0
    for r in range(1, n + 1):
        if where[r] < 0:
            unassigned += 1
    cur = _total(rcost, rlen, K, fixed, unassigned, penalty)
    bobj = best_obj
    for it in range(iters):
        temp = temp0 * (temp1 / temp0) ** (it / max(1, iters - 1))
        _copy_routes(cur_sol, w)
        nq = np.random.randint(qmin, qmax + 1)
        nr = 0
        for r in range(1, n + 1):
            if w[4][r] < 0:
                removed[nr] = r
                nr += 1
        op = np.random.randint(0, 3)
        nr = _ruin(
            op, nq + unassigned, w, removed, nr, rel, T, D, svc, e, lt, ride, n, K, tmax, ws.ppos
        )
        _order_removed(removed, nr, np.random.randint(0, 3), D, e, ride, n)
        nz = noise if np.random.random() < 0.5 else 0
        left = _recreate(removed, nr, w, T, D, svc, e, lt, ride, q, n, K, cap, tmax, fixed, ws, nz)
        new = _total(w[3], w[1], K, fixed, left, penalty)
        accept = new < cur
        if not accept and temp > 0:
            accept = np.random.random() < np.exp(-(new - cur) / temp)
        if accept:
            _copy_routes(w, cur_sol)
            cur = new
            unassigned = left
            if new < bobj:
                bobj = new
                best_routes[:, :] = w[0]
                best_rlen[:] = w[1]
    return bobj


@njit(cache=True)
def _construct(
    T, D, svc, e, lt, ride, q, n, K, cap, tmax, fixed, order, routes, rlen, rtimes, rcost, where
):
    """Insert requests in ``order`` at their cheapest feasible places; returns # left."""
    ws = _workspace(n, K, routes.shape[1])
    todo = np.empty(order.shape[0], np.int64)
    nr = 0
    for x in range(order.shape[0]):
        if where[order[x]] < 0:
            todo[nr] = order[x]
            nr += 1
    sol = (routes, rlen, rtimes, rcost, where)
    return _recreate(todo, nr, sol, T, D, svc, e, lt, ride, q, n, K, cap, tmax, fixed, ws, 0)


@njit(cache=True)
def schedule_route(seq, T, svc, e, lt, ride, n, tmax):
    """Service starts of one route (node ids), or an empty array when infeasible."""
    m = seq.shape[0]
    tout = np.empty(m + 1, np.int64)
    ppos = np.empty(n + 1, np.int64)
    if _schedule(seq, m, T, svc, e, lt, ride, n, tmax, tout, ppos):
        return tout[:m].copy()
    return np.empty(0, np.int64)
