# mypy: disable-error-code="no-untyped-def"
"""The ruin-and-recreate search on the pupils' full model: vehicle classes as a route attribute.

Ruin and recreate (Ropke & Pisinger 2006 for the PDPTW; Cordeau & Laporte's DARP
constraints), compiled with numba: remove a few requests (at random, related by place and
time to a seed request, the most expensive, one school's, or whole routes), re-insert them
one by one at their cheapest feasible positions over all routes, accept by simulated
annealing, keep the best.

Every route carries a vehicle class (type x layout x assistant). An insertion is priced
on the cheapest class that carries the route afterwards (right-sizing inside the
insertion): its seats and wheelchair places at the peak loads, every request's vehicle
rules (allowed types, assistant), and the fleet limit of its type; a removal moves the
route down to the cheapest class that still carries it. Travelling alone, incompatible
pairs, one school per route (when mixed-school routes are off) and sibling groups
(one vehicle, hard: a group split by a recreate is taken out whole) are route-level
filters.

Feasibility of a route's times (a fixed sequence) is exact: time windows, precedence,
ride limits (start of drop-off service - end of pickup service <= L), route duration and
depot windows form a system of difference constraints; :func:`_schedule` computes its
least solution (earliest service starts, pickups delayed only as far as their ride limits
force) by Bellman-Ford-style passes and reports infeasibility when a window is exceeded or
the passes do not settle (a positive cycle). Insertions are tried in order of their added
cost, with O(1) load and window pre-filters, so the exact check runs on few.

Nodes: 0 start depot, 1..n pickups, n+1..2n drop-offs (request r: r and n+r), 2n+1 end
depot. All numbers are int64 in Problem units. The kernels are numba-compiled and take
plain arrays in two named tuples (``Inst``: the problem; ``Sol``: the routes), so they
carry no type hints (numba infers the types at the first call). The route schedule is
:func:`routing.solver.route_kernels._schedule`. The benchmarks (the literature's DARP: one
class, seats only, distance) run this same search.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from routing.solver.route_kernels import _route_cost, _schedule, _splice

# fmt: off
# The kernels take long argument lists (numba compiles plain arrays); they are kept
# packed, not one argument per line.

_INF = np.int64(1) << np.int64(60)

Inst = namedtuple("Inst", [
    "T", "D", "svc", "e", "lt", "ride", "qs", "qw", "allow", "alone", "school", "grp",
    "gptr", "gmem", "inc", "has_inc", "c_seats", "c_chairs", "c_fixed", "c_perm", "c_tmax",
    "c_type", "c_order", "t_avail", "mixed", "n", "K", "L", "penalty", "max_s", "max_w", "nops",
    "nbr", "rc", "has_rc",
])
"""The problem as the kernels read it (see ``routing.solver.improve``)."""

Sol = namedtuple("Sol", [
    "routes", "rlen", "rtimes", "rdist", "rride", "rcost", "rcls", "where", "tused",
])
"""Routes (node ids), service starts, metres, ride value, cost, class; each request's route;
vehicles in use per type."""

_Work = namedtuple("_Work", [
    "cand_d", "cand_k", "cand_i", "cand_j", "cand_c", "scratch", "tscratch", "ppos",
    "loads", "wloads", "pre_s", "suf_s", "pre_w", "suf_w", "zlate", "cum", "ccache",
    "kmark", "klist", "rload",
])
"""Scratch arrays of the insertion, allocated once per kernel call."""


@njit(cache=True)
def _workspace(inst):
    n, K, L = inst.n, inst.K, inst.L
    size = min(K * (L + 1) * (L + 2) // 2 + 1, 4_000_000)
    m2 = L + 3
    return _Work(
        np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size, np.int64),
        np.empty(size, np.int64), np.empty(size, np.int64), np.empty(m2, np.int64),
        np.empty(m2, np.int64), np.empty(n + 1, np.int64), np.empty(m2, np.int64),
        np.empty(m2, np.int64), np.empty(m2, np.int64), np.empty(m2, np.int64),
        np.empty(m2, np.int64), np.empty(m2, np.int64), np.empty(m2, np.int64),
        np.empty(m2, np.int64), np.empty((inst.max_s + 1) * (inst.max_w + 1), np.int64),
        np.zeros(K + 1, np.int64), np.empty(K + 1, np.int64), np.empty(m2, np.int64),
    )


# A call between kernels costs about 7 ns for every array it passes (inside a named tuple
# too): ``inst``, ``sol`` and ``ws`` hold about 60. The helpers called per route or per
# candidate therefore take the arrays they read, not the tuples (on a7-70, passing the
# tuples made the insertion about 4x slower than the single-class ALNS it replaced).


@njit(cache=True)
def _cheapest_class(c_order, c_seats, c_chairs, c_fixed, c_perm, c_type, t_avail, mask,
                    peak_s, peak_w, cur_type, tused, dist):
    """The cheapest class in ``mask`` with room for the peaks and a vehicle free (its type
    ``cur_type``, unlimited, or one left); -1 if none."""
    best = -1
    best_cost = _INF
    for x in range(c_order.shape[0]):
        c = c_order[x]
        if (mask >> c) & 1 == 0 or c_seats[c] < peak_s or c_chairs[c] < peak_w:
            continue
        t = c_type[c]
        if not (t == cur_type or t_avail[t] < 0 or tused[t] < t_avail[t]):
            continue
        cost = c_fixed[c] + c_perm[c] * dist
        if cost < best_cost:
            best_cost = cost
            best = c
    return best


@njit(cache=True)
def _pick_class(inst, mask, peak_s, peak_w, cur_type, tused, dist):
    """:func:`_cheapest_class` on the instance's classes."""
    return _cheapest_class(inst.c_order, inst.c_seats, inst.c_chairs, inst.c_fixed,
                           inst.c_perm, inst.c_type, inst.t_avail, mask, peak_s, peak_w,
                           cur_type, tused, dist)


@njit(cache=True)
def _route_mask(allow, n, seq, m):
    """Classes every request on the route may use."""
    mask = np.int64(-1)
    for x in range(m):
        if seq[x] <= n:
            mask &= allow[seq[x]]
    return mask


@njit(cache=True)
def _route_ride(T, svc, rc, n, seq, m):
    """The route's ride value: each request's ``rc`` x its ride (end of pickup service to
    start of drop-off service) driven without waiting, a lower bound of the scheduled ride
    that the final times (latest in the morning, earliest in the afternoon) come close to.

    Summed per leg: a leg's time counts for every request on board over it, a service for
    every request on board that is not the one served."""
    if m == 0:
        return np.int64(0)
    total = np.int64(0)
    w = np.int64(0)
    for x in range(m):
        node = seq[x]
        if node <= n:
            total += w * svc[node]
            w += rc[node]
        else:
            w -= rc[node - n]
            total += w * svc[node]
        if x + 1 < m:
            total += w * T[node, seq[x + 1]]
    return total


@njit(cache=True)
def _route_allows(alone, school, inc, has_inc, mixed, n, L, seq, m, r):
    """Route-level rules for adding request r to a route: alone, school, incompatible."""
    if m == 0:
        return True
    if alone[r] or m + 2 > L:
        return False
    for x in range(m):
        s = seq[x]
        if s > n:
            continue
        if alone[s] or (mixed == 0 and school[s] != school[r]):
            return False
        if has_inc and inc[r, s]:
            return False
    return True


@njit(cache=True)
def _route_bounds(T, svc, lt, qs, qw, rc, has_rc, n, seq, m, loads, wloads, pre_s, suf_s,
                  pre_w, suf_w, zlate, cum, rload):
    """Loads (seats, chairs; ride values on board when ``has_rc``) after each position with
    prefix and suffix maxima; latest service starts (windows only, a necessary bound);
    cum[x] = earliest gap from the start of seq[0] to the start of seq[x]."""
    endn = 2 * n + 1
    acc = 0
    wacc = 0
    racc = 0
    for x in range(m):
        acc += qs[seq[x]]
        wacc += qw[seq[x]]
        loads[x] = acc
        wloads[x] = wacc
        if has_rc:
            node = seq[x]
            racc += rc[node] if node <= n else -rc[node - n]
            rload[x] = racc
    pre_s[0] = 0
    pre_w[0] = 0
    for x in range(m):
        pre_s[x + 1] = max(pre_s[x], loads[x])
        pre_w[x + 1] = max(pre_w[x], wloads[x])
    suf_s[m] = 0
    suf_w[m] = 0
    for x in range(m - 1, -1, -1):
        suf_s[x] = max(suf_s[x + 1], loads[x])
        suf_w[x] = max(suf_w[x + 1], wloads[x])
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
def _candidates(inst, sol, r, ks, nk, ws, nc, noise):
    """Append the insertions of request r into routes ``ks[:nk]`` that pass the route's
    rules and the O(1) pre-filters (one call for all the routes: see the note above
    :func:`_cheapest_class`).

    Row ``nc`` of ``ws.cand_*``: added cost with noise, route, pickup position, drop-off
    position, class; returns the new number of rows.
    """
    T, D, svc, e, lt, ride, n = inst.T, inst.D, inst.svc, inst.e, inst.lt, inst.ride, inst.n
    p = r
    d = n + r
    endn = 2 * n + 1
    qs, qw = inst.qs[r], inst.qw[r]
    max_s, max_w = inst.max_s, inst.max_w
    loads, wloads, zlate, cum, rload = ws.loads, ws.wloads, ws.zlate, ws.cum, ws.rload
    pre_s, suf_s, pre_w, suf_w = ws.pre_s, ws.suf_s, ws.pre_w, ws.suf_w
    ccache = ws.ccache
    c_order, c_seats, c_chairs = inst.c_order, inst.c_seats, inst.c_chairs
    c_fixed, c_perm, c_type, t_avail = inst.c_fixed, inst.c_perm, inst.c_type, inst.t_avail
    tused = sol.tused
    cand_d, cand_k, cand_i, cand_j, cand_c = ws.cand_d, ws.cand_k, ws.cand_i, ws.cand_j, ws.cand_c
    room = cand_d.shape[0]
    for x in range(nk):
        k = ks[x]
        seq = sol.routes[k]
        m = sol.rlen[k]
        times = sol.rtimes[k]
        if not _route_allows(inst.alone, inst.school, inst.inc, inst.has_inc, inst.mixed, n,
                             inst.L, seq, m, r):
            continue
        mask = _route_mask(inst.allow, n, seq, m) & inst.allow[r]
        if mask == 0:
            continue
        _route_bounds(T, svc, lt, inst.qs, inst.qw, inst.rc, inst.has_rc, n, seq, m, loads,
                      wloads, pre_s, suf_s, pre_w, suf_w, zlate, cum, rload)
        ccache[:] = -2
        cur_type = c_type[sol.rcls[k]] if m > 0 else -1
        old = sol.rcost[k] if m > 0 else 0
        dist = sol.rdist[k] if m > 0 else 0
        ride_old = sol.rride[k] if m > 0 else 0
        for i in range(m + 1):
            prev = 0 if i == 0 else seq[i - 1]
            nxt = endn if i == m else seq[i]
            before_s = 0 if i == 0 else loads[i - 1]
            before_w = 0 if i == 0 else wloads[i - 1]
            if before_s + qs > max_s or before_w + qw > max_w:
                continue
            dep_prev = e[0] if i == 0 else times[i - 1] + svc[prev]
            ap = dep_prev + T[prev, p]
            if ap < e[p]:
                ap = e[p]
            if ap > lt[p]:
                continue
            base_i = D[prev, p] + D[p, nxt] - D[prev, nxt]
            # ride value: those on board over (prev, nxt) wait for p's detour
            on_i = 0 if (i == 0 or not inst.has_rc) else rload[i - 1]
            ride_i = on_i * (T[prev, p] + svc[p] + T[p, nxt] - T[prev, nxt])
            # can anything follow p at position i (j > i)?
            later_ok = i < m and ap + svc[p] + T[p, nxt] <= zlate[i]
            run_s = before_s
            run_w = before_w
            for j in range(i, m + 1):
                if j > i:
                    if not later_ok:
                        break
                    run_s = max(run_s, loads[j - 1])
                    run_w = max(run_w, wloads[j - 1])
                    if run_s + qs > max_s or run_w + qw > max_w:
                        break
                    pj = seq[j - 1]
                    # ride lower bound along the route (non-decreasing in j)
                    path = T[p, nxt] + cum[j - 1] - cum[i] + svc[pj] + T[pj, d]
                    if path > ride[r]:
                        break
                    nj = endn if j == m else seq[j]
                    dd = base_i + D[pj, d] + D[d, nj] - D[pj, nj]
                    ad = times[j - 1] + svc[pj] + T[pj, d]
                    if ad < e[d]:
                        ad = e[d]
                    if ad > lt[d] or ad + svc[d] + T[d, nj] > zlate[j]:
                        continue
                    rv = 0
                    if inst.has_rc:
                        rv = (ride_i + inst.rc[r] * path
                              + rload[j - 1] * (T[pj, d] + svc[d] + T[d, nj] - T[pj, nj]))
                else:
                    dd = D[prev, p] + D[p, d] + D[d, nxt] - D[prev, nxt]
                    ad = ap + svc[p] + T[p, d]
                    if ad < e[d]:
                        ad = e[d]
                    if ad > lt[d] or T[p, d] > ride[r]:
                        continue
                    if ad + svc[d] + T[d, nxt] > zlate[i]:
                        continue
                    rv = 0
                    if inst.has_rc:
                        rv = inst.rc[r] * T[p, d] + on_i * (
                            T[prev, p] + svc[p] + T[p, d] + svc[d] + T[d, nxt] - T[prev, nxt])
                ps = max(pre_s[i], run_s + qs, suf_s[j])
                pw = max(pre_w[i], run_w + qw, suf_w[j])
                if ps > max_s or pw > max_w:
                    continue
                key = ps * (max_w + 1) + pw  # the class at these peaks, cached per route
                c = ccache[key]
                if c == -2:
                    c = _cheapest_class(c_order, c_seats, c_chairs, c_fixed, c_perm, c_type,
                                        t_avail, mask, ps, pw, cur_type, tused, dist)
                    ccache[key] = c
                if c < 0 or nc >= room:
                    continue
                cand_d[nc] = (c_fixed[c] + c_perm[c] * (dist + dd) + ride_old + rv - old
                              + (np.random.randint(0, noise + 1) if noise > 0 else 0))
                cand_k[nc] = k
                cand_i[nc] = i
                cand_j[nc] = j
                cand_c[nc] = c
                nc += 1
    return nc


@njit(cache=True)
def _near_routes(inst, sol, r, ws):
    """Routes holding one of r's nearest requests (``inst.nbr[r]``), into ``ws.klist``;
    returns their number. ``ws.kmark[K]`` is the stamp of this call."""
    ws.kmark[inst.K] += 1
    stamp = ws.kmark[inst.K]
    nk = 0
    for x in range(inst.nbr.shape[1]):
        k = sol.where[inst.nbr[r, x]]
        if k >= 0 and ws.kmark[k] != stamp:
            ws.kmark[k] = stamp
            ws.klist[nk] = k
            nk += 1
    return nk


@njit(cache=True)
def _first_feasible(inst, sol, r, nc, ws):
    """The cheapest of the ``nc`` candidates whose exact schedule holds: its row, or -1.

    The few cheapest are found by linear scans (most often the first one holds); past
    those, the rest are sorted once.
    """
    cand_d = ws.cand_d
    order = np.empty(0, np.int64)
    for t in range(nc):
        if t < 6:
            o = -1
            best = _INF
            for x in range(nc):
                if cand_d[x] < best:
                    best = cand_d[x]
                    o = x
        else:  # the six tried are _INF now, so they sort last
            if t == 6:
                order = np.argsort(cand_d[:nc])
            o = order[t - 6]
        if o < 0 or cand_d[o] >= _INF:
            return -1
        if _exact_ok(inst.T, inst.svc, inst.e, inst.lt, inst.ride, inst.n, inst.c_tmax,
                     sol.routes, sol.rlen, r, o, ws.cand_k, ws.cand_i, ws.cand_j, ws.cand_c,
                     ws.scratch, ws.tscratch, ws.ppos):
            return o
        cand_d[o] = _INF
    return -1


@njit(cache=True)
def _exact_ok(T, svc, e, lt, ride, n, c_tmax, routes, rlen, r, o, cand_k, cand_i, cand_j,
              cand_c, scratch, tscratch, ppos):
    k = cand_k[o]
    w = _splice(routes[k], rlen[k], cand_i[o], cand_j[o], r, n + r, scratch)
    return _schedule(scratch, w, T, svc, e, lt, ride, n, c_tmax[cand_c[o]], tscratch, ppos)


@njit(cache=True)
def _best_insertion(inst, sol, r, pin, ws, noise):
    """Cheapest feasible insertion of request r: (delta, k, i, j, class) or k = -1.

    Candidates from the routes of r's nearest requests and one empty route (``pin`` >= 0:
    that route only), checked exactly (:func:`_schedule`) cheapest first; when none
    holds, every other non-empty route is tried the same way.
    """
    klist = ws.klist
    if pin >= 0:
        klist[0] = pin
        nc = _candidates(inst, sol, r, klist, 1, ws, 0, noise)
        o = _first_feasible(inst, sol, r, nc, ws)
        if o < 0:
            return _INF, -1, -1, -1, -1
        return ws.cand_d[o], ws.cand_k[o], ws.cand_i[o], ws.cand_j[o], ws.cand_c[o]
    nk = _near_routes(inst, sol, r, ws)
    stamp = ws.kmark[inst.K]
    for k in range(inst.K):
        if sol.rlen[k] == 0:
            klist[nk] = k
            nk += 1
            break
    nc = _candidates(inst, sol, r, klist, nk, ws, 0, noise)
    o = _first_feasible(inst, sol, r, nc, ws)
    if o < 0:
        nk = 0
        for k in range(inst.K):
            if sol.rlen[k] > 0 and ws.kmark[k] != stamp:
                klist[nk] = k
                nk += 1
        nc = _candidates(inst, sol, r, klist, nk, ws, 0, noise)
        o = _first_feasible(inst, sol, r, nc, ws)
        if o < 0:
            return _INF, -1, -1, -1, -1
    return ws.cand_d[o], ws.cand_k[o], ws.cand_i[o], ws.cand_j[o], ws.cand_c[o]


@njit(cache=True)
def _set_class(inst, sol, k, c):
    """Route k (non-empty) on class c: vehicles in use per type and the cost follow."""
    old = sol.rcls[k]
    if old != c:
        if old >= 0:
            sol.tused[inst.c_type[old]] -= 1
        sol.tused[inst.c_type[c]] += 1
        sol.rcls[k] = c
    sol.rcost[k] = inst.c_fixed[c] + inst.c_perm[c] * sol.rdist[k] + sol.rride[k]


@njit(cache=True)
def _insert(inst, sol, k, i, j, r, c, ws):
    seq = sol.routes[k]
    w = _splice(seq, sol.rlen[k], i, j, r, inst.n + r, ws.scratch)
    for x in range(w):
        seq[x] = ws.scratch[x]
    sol.rlen[k] = w
    _schedule(seq, w, inst.T, inst.svc, inst.e, inst.lt, inst.ride, inst.n, inst.c_tmax[c],
              sol.rtimes[k], ws.ppos)
    sol.rdist[k] = _route_cost(seq, w, inst.D, inst.n)
    sol.rride[k] = _route_ride(inst.T, inst.svc, inst.rc, inst.n, seq, w) if inst.has_rc else 0
    _set_class(inst, sol, k, c)
    sol.where[r] = k


@njit(cache=True)
def _peaks(inst, seq, m):
    s = 0
    wc = 0
    ps = 0
    pw = 0
    for x in range(m):
        s += inst.qs[seq[x]]
        wc += inst.qw[seq[x]]
        ps = max(ps, s)
        pw = max(pw, wc)
    return ps, pw


@njit(cache=True)
def _remove(inst, sol, r, ws):
    """Take request r off its route; the route moves down to the cheapest class that
    still carries it (same schedule, shift permitting)."""
    k = sol.where[r]
    seq = sol.routes[k]
    m = sol.rlen[k]
    n = inst.n
    w = 0
    for x in range(m):
        if seq[x] != r and seq[x] != n + r:
            seq[w] = seq[x]
            w += 1
    sol.rlen[k] = w
    sol.where[r] = -1
    c = sol.rcls[k]
    if w == 0:
        sol.tused[inst.c_type[c]] -= 1
        sol.rcls[k] = -1
        sol.rdist[k] = 0
        sol.rride[k] = 0
        sol.rcost[k] = 0
        return
    _schedule(seq, w, inst.T, inst.svc, inst.e, inst.lt, inst.ride, n, inst.c_tmax[c],
              sol.rtimes[k], ws.ppos)
    sol.rdist[k] = _route_cost(seq, w, inst.D, n)
    sol.rride[k] = _route_ride(inst.T, inst.svc, inst.rc, inst.n, seq, w) if inst.has_rc else 0
    ps, pw = _peaks(inst, seq, w)
    c2 = _pick_class(inst, _route_mask(inst.allow, n, seq, w), ps, pw, inst.c_type[c], sol.tused,
                     sol.rdist[k])
    if c2 >= 0 and c2 != c and (inst.c_tmax[c2] >= inst.c_tmax[c] or _schedule(
            seq, w, inst.T, inst.svc, inst.e, inst.lt, inst.ride, n, inst.c_tmax[c2],
            ws.tscratch, ws.ppos)):
        if inst.c_tmax[c2] < inst.c_tmax[c]:
            sol.rtimes[k, :w] = ws.tscratch[:w]
        c = c2
    _set_class(inst, sol, k, c)


@njit(cache=True)
def _total(inst, sol, unassigned):
    t = np.int64(0)
    for k in range(inst.K):
        if sol.rlen[k] > 0:
            t += sol.rcost[k]
    return t + unassigned * inst.penalty


@njit(cache=True)
def _take(inst, sol, r, removed, nr, ws):
    """Remove r and the rest of its sibling group (those placed); returns the new count."""
    g = inst.grp[r]
    if g < 0:
        _remove(inst, sol, r, ws)
        removed[nr] = r
        return nr + 1
    for x in range(inst.gptr[g], inst.gptr[g + 1]):
        s = inst.gmem[x]
        if sol.where[s] >= 0:
            _remove(inst, sol, s, ws)
            removed[nr] = s
            nr += 1
    return nr


@njit(cache=True)
def _relatedness(inst, s, rel):
    """rel[r]: distance and time from seed request s (rel[0] is never chosen)."""
    D, e, lt, n = inst.D, inst.e, inst.lt, inst.n
    for r in range(1, n + 1):
        rel[r] = D[s, r] + D[n + s, n + r] + (abs(e[s] - e[r]) + abs(lt[n + s] - lt[n + r])) // 4
    rel[0] = _INF


@njit(cache=True)
def _worst_savings(inst, sol, rel):
    """rel[r]: minus what removing r saves (its detour and its share of the vehicle's fixed
    cost, randomised); placed requests only."""
    D, n = inst.D, inst.n
    for r in range(1, n + 1):
        rel[r] = 0
    for k in range(inst.K):
        m = sol.rlen[k]
        if m == 0:
            continue
        seq = sol.routes[k]
        c = sol.rcls[k]
        share = inst.c_fixed[c] // (m // 2)
        for x in range(m):
            node = seq[x]
            prev = 0 if x == 0 else seq[x - 1]
            nxt = 2 * n + 1 if x == m - 1 else seq[x + 1]
            sav = inst.c_perm[c] * (D[prev, node] + D[node, nxt] - D[prev, nxt])
            if node <= n:
                sav += share
            r = node if node <= n else node - n
            # a detour can save less than nothing where the matrix breaks the triangle
            # inequality (road networks, banded speeds)
            spread = sav // 2 + 2 if sav > 0 else 2
            rel[r] -= sav + np.random.randint(0, spread)
    rel[0] = _INF
    for r in range(1, n + 1):
        if sol.where[r] < 0:
            rel[r] = _INF


@njit(cache=True)
def _school_order(inst, sol, rel):
    """rel[r]: requests of a random seed request's school first, nearest to it first."""
    n = inst.n
    s = np.random.randint(1, n + 1)
    for r in range(1, n + 1):
        near = inst.D[s, r] + inst.D[n + s, n + r]
        rel[r] = near if inst.school[r] == inst.school[s] else _INF // 2 + near
    rel[0] = _INF


@njit(cache=True)
def _ruin_routes(inst, sol, want, removed, nr, ws):
    """Remove whole routes (the smaller of two random ones each time)."""
    tries = 0
    while nr < want and tries < 4 * inst.K:
        tries += 1
        a = np.random.randint(0, inst.K)
        b = np.random.randint(0, inst.K)
        if sol.rlen[a] == 0 or (sol.rlen[b] > 0 and sol.rlen[b] < sol.rlen[a]):
            a = b
        m = sol.rlen[a]
        if m == 0:
            continue
        seq = sol.routes[a]
        while sol.rlen[a] > 0 and nr < inst.n:
            node = seq[0]
            r = node if node <= inst.n else node - inst.n
            nr = _take(inst, sol, r, removed, nr, ws)
    return nr


@njit(cache=True)
def _ruin(inst, sol, op, want, removed, nr, rel, ws):
    """Remove requests from ``sol`` until ``want`` are out.

    op 0: random; 1: related to a random seed request (place and time), each candidate
    skipped with probability 1/4; 2: worst (largest saving, randomised); 3: one school's
    (nearest to a seed first, skipped with probability 1/4); 4: whole routes.
    """
    n = inst.n
    if op == 0:
        tries = 0
        while nr < want and nr < n and tries < 20 * n:
            tries += 1
            r = np.random.randint(1, n + 1)
            if sol.where[r] >= 0:
                nr = _take(inst, sol, r, removed, nr, ws)
        return nr
    if op == 4:
        return _ruin_routes(inst, sol, want, removed, nr, ws)
    if op == 1:
        _relatedness(inst, np.random.randint(1, n + 1), rel)
    elif op == 2:
        _worst_savings(inst, sol, rel)
    else:
        _school_order(inst, sol, rel)
    order = np.argsort(rel)
    c = 0
    while nr < want and nr < n and c < n + 1:
        r = order[c]
        c += 1
        if r == 0 or sol.where[r] < 0:
            continue
        if op != 2 and np.random.random() < 0.25:
            continue
        nr = _take(inst, sol, r, removed, nr, ws)
    return nr


@njit(cache=True)
def _order_removed(inst, removed, nr, mode):
    """Recreate order: 0 random, 1 earliest window first, 2 farthest first."""
    D, e, ride, n = inst.D, inst.e, inst.ride, inst.n
    if mode == 0:
        np.random.shuffle(removed[:nr])
        return
    key = np.empty(nr, np.int64)
    for x in range(nr):
        r = removed[x]
        key[x] = e[r] if e[r] > e[n + r] - ride[r] else e[n + r] - ride[r]
        if mode == 2:
            key[x] = -(D[0, r] + D[n + r, 2 * n + 1] + D[r, n + r])
    o = np.argsort(key)
    tmp = removed[:nr].copy()
    for x in range(nr):
        removed[x] = tmp[o[x]]


@njit(cache=True)
def _pin(inst, sol, r):
    """The route a placed sibling of r is on, or -1."""
    g = inst.grp[r]
    if g < 0:
        return -1
    for x in range(inst.gptr[g], inst.gptr[g + 1]):
        s = inst.gmem[x]
        if s != r and sol.where[s] >= 0:
            return sol.where[s]
    return -1


@njit(cache=True)
def _whole_groups(inst, sol, removed, nr, ws):
    """Take out any sibling group a recreate left split or partly placed; # taken out."""
    out = 0
    for x in range(nr):
        g = inst.grp[removed[x]]
        if g < 0:
            continue
        k = -2
        ok = True
        for y in range(inst.gptr[g], inst.gptr[g + 1]):
            w = sol.where[inst.gmem[y]]
            if k == -2:
                k = w
            elif w != k:
                ok = False
        if ok:
            continue
        for y in range(inst.gptr[g], inst.gptr[g + 1]):
            s = inst.gmem[y]
            if sol.where[s] >= 0:
                _remove(inst, sol, s, ws)
                out += 1
    return out


@njit(cache=True)
def _recreate(inst, sol, removed, nr, ws, noise):
    """Insert ``removed[:nr]`` in order, each at its cheapest feasible place; # left out."""
    left = 0
    for x in range(nr):
        r = removed[x]
        _dlt, k, i, j, c = _best_insertion(inst, sol, r, _pin(inst, sol, r), ws, noise)
        if k < 0:
            left += 1
            continue
        _insert(inst, sol, k, i, j, r, c, ws)
    return left + _whole_groups(inst, sol, removed, nr, ws)


@njit(cache=True)
def _copy(src, dst):
    dst.routes[:, :] = src.routes
    dst.rlen[:] = src.rlen
    dst.rtimes[:, :] = src.rtimes
    dst.rdist[:] = src.rdist
    dst.rride[:] = src.rride
    dst.rcost[:] = src.rcost
    dst.rcls[:] = src.rcls
    dst.where[:] = src.where
    dst.tused[:] = src.tused


@njit(cache=True)
def _clone(sol):
    return Sol(sol.routes.copy(), sol.rlen.copy(), sol.rtimes.copy(), sol.rdist.copy(),
               sol.rride.copy(), sol.rcost.copy(), sol.rcls.copy(), sol.where.copy(),
               sol.tused.copy())


@njit(cache=True)
def _unassigned(inst, sol):
    u = 0
    for r in range(1, inst.n + 1):
        if sol.where[r] < 0:
            u += 1
    return u


@njit(cache=True)
def _run(inst, sol, best, best_obj, iters, temp0, temp1, qmin, qmax, noise):
    """Run ``iters`` ALNS iterations from ``sol`` (updated to the current solution); the
    best is kept in ``best``; returns the best objective."""
    n = inst.n
    ws = _workspace(inst)
    w = _clone(sol)
    removed = np.empty(n, np.int64)
    rel = np.empty(n + 1, np.int64)
    unassigned = _unassigned(inst, sol)
    cur = _total(inst, sol, unassigned)
    bobj = best_obj
    for it in range(iters):
        temp = temp0 * (temp1 / temp0) ** (it / max(1, iters - 1))
        _copy(sol, w)
        nq = np.random.randint(qmin, qmax + 1)
        nr = 0
        for r in range(1, n + 1):
            if w.where[r] < 0:
                removed[nr] = r
                nr += 1
        op = np.random.randint(0, inst.nops)
        nr = _ruin(inst, w, op, nq + unassigned, removed, nr, rel, ws)
        _order_removed(inst, removed, nr, np.random.randint(0, 3))
        nz = noise if np.random.random() < 0.5 else 0
        left = _recreate(inst, w, removed, nr, ws, nz)
        new = _total(inst, w, left)
        accept = new < cur
        if not accept and temp > 0:
            accept = np.random.random() < np.exp(-(new - cur) / temp)
        if accept:
            _copy(w, sol)
            cur = new
            unassigned = left
            if new < bobj:
                bobj = new
                _copy(w, best)
    return bobj


@njit(cache=True)
def _construct(inst, sol, order):
    """Insert requests in ``order`` (those not yet placed) at their cheapest feasible places;
    returns # left out."""
    ws = _workspace(inst)
    todo = np.empty(order.shape[0], np.int64)
    nr = 0
    for x in range(order.shape[0]):
        if sol.where[order[x]] < 0:
            todo[nr] = order[x]
            nr += 1
    return _recreate(inst, sol, todo, nr, ws, 0)
