"""The officer's locks and pins of a plan: plain data, kept beside the plan.

A locked route keeps its vehicle, assistant and pupil order through edits and re-plans;
a pinned pupil stays on their route (``routing.plan_edit``, ``routing.replan``). The CLI
keeps them in ``locks.json`` beside ``plan.json``; the service in the plan's row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from routing.model import Run


@dataclass(frozen=True, slots=True)
class Pin:
    """A pupil the officer keeps on one route of one run."""

    pupil_id: str
    run: Run
    route_id: str


@dataclass(frozen=True, slots=True)
class PlanLocks:
    """The officer's locked routes and pinned pupils of one plan."""

    locked_route_ids: frozenset[str] = frozenset()
    pins: tuple[Pin, ...] = ()

    def pinned_route(self, pupil_id: str, run: Run) -> str | None:
        return next((p.route_id for p in self.pins if (p.pupil_id, p.run) == (pupil_id, run)), None)

    def to_dict(self) -> dict[str, object]:
        return {
            "locked_route_ids": sorted(self.locked_route_ids),
            "pins": [
                {"pupil_id": p.pupil_id, "run": p.run.value, "route_id": p.route_id}
                for p in self.pins
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> PlanLocks:
        if not data:
            return cls()
        locked = data.get("locked_route_ids", [])
        pins = data.get("pins", [])
        assert isinstance(locked, list) and isinstance(pins, list)
        return cls(
            frozenset(str(r) for r in locked),
            tuple(Pin(str(p["pupil_id"]), Run(p["run"]), str(p["route_id"])) for p in pins),
        )


__all__ = ["Pin", "PlanLocks"]
