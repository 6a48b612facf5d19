"""Collection points for data/havering: real public places, and which pupils may use one.

Run ``python scripts/build_collection_points.py`` (``scripts/build_scenarios.py`` applies
the same two steps when it rebuilds Havering). The output is the same on every run.

- The points (``collection_points.csv``, real): every open primary and secondary school
  of the London Borough of Havering in the GLA schools dataset in
  ``../shared/data/schools/gla_schools_havering_bd_redbridge.csv`` (GIAS/EduBase,
  2016-17; OGL v3), except the schools the scenario's pupils attend. A school's frontage
  is a known, lit public place with room to pull in; the point is the school's own
  coordinate (its GIAS easting/northing). ``point_id`` is ``CP`` + the school's URN, the
  name "Outside <school>".
- Who may use one (``can_use_collection_point`` in ``pupils.csv``, synthetic): 30% of
  the pupils whose needs allow a shared kerbside stop at all (no wheelchair, not
  travelling alone, no particular vehicle, no sibling group), drawn by a hash of the
  pupil id, so the draw does not disturb the scenario generator's random stream. No real
  pupil data.

Only the ``can_use_collection_point`` column of ``pupils.csv`` is written; every other
cell is kept as it is.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.collection import can_move  # noqa: E402
from routing.dataset import load_scenario  # noqa: E402
from routing.model import CollectionPoint, Pupil, Scenario  # noqa: E402

ABLE_SHARE = 0.30
GLA_SCHOOLS = Path("schools") / "gla_schools_havering_bd_redbridge.csv"
COLUMN = "can_use_collection_point"


def havering_points(shared: Path, exclude_urns: Iterable[str]) -> tuple[CollectionPoint, ...]:
    """Open Havering primary and secondary schools, not the scenario's own, by URN."""
    skip = set(exclude_urns)
    seen: set[str] = set()
    points: list[CollectionPoint] = []
    with (shared / GLA_SCHOOLS).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            urn = row["urn"]
            if (
                row["la_name"] != "Havering"
                or row["establishment_status"] != "Open"
                or row["phase_of_education"] not in ("Primary", "Secondary")
                or row["send_category"]
                or urn in skip
                or urn in seen
            ):
                continue
            seen.add(urn)
            points.append(
                CollectionPoint(
                    point_id=f"CP{urn}",
                    name=f"Outside {row['establishment_name'].strip()}",
                    lon=round(float(row["lon"]), 6),
                    lat=round(float(row["lat"]), 6),
                )
            )
    return tuple(sorted(points, key=lambda p: p.point_id))


def is_able(pupil: Pupil) -> bool:
    """The synthetic marking: ABLE_SHARE of pupils whose needs allow a collection point."""
    if not can_move(replace(pupil, can_use_collection_point=True)):
        return False
    digest = hashlib.sha256(f"collection:{pupil.pupil_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < ABLE_SHARE


def with_collection_points(scenario: Scenario, shared: Path) -> Scenario:
    """The scenario with Havering's points and the synthetic marking of pupils."""
    points = havering_points(shared, (s.school_id for s in scenario.schools))
    pupils = tuple(replace(p, can_use_collection_point=is_able(p)) for p in scenario.pupils)
    return replace(scenario, pupils=pupils, collection_points=points)


def write_points(points: Sequence[CollectionPoint], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["point_id", "name", "lon", "lat"])
        for p in points:
            writer.writerow([p.point_id, p.name, repr(p.lon), repr(p.lat)])


def write_able_column(scenario: Scenario, path: Path) -> None:
    """Set the column in pupils.csv (added at the end if missing), the rest untouched."""
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    if COLUMN not in header:
        header.append(COLUMN)
        for row in rows[1:]:
            row.append("")
    col = header.index(COLUMN)
    able = {p.pupil_id: p.can_use_collection_point for p in scenario.pupils}
    id_col = header.index("pupil_id")
    for row in rows[1:]:
        row[col] = "true" if able[row[id_col]] else "false"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--scenario", type=Path, default=REPO / "data" / "havering")
    args = parser.parse_args(argv)
    scenario = with_collection_points(load_scenario(args.scenario), args.shared)
    write_points(scenario.collection_points, args.scenario / "collection_points.csv")
    write_able_column(scenario, args.scenario / "pupils.csv")
    reloaded = load_scenario(args.scenario)
    assert reloaded == scenario, "collection points do not round-trip"
    able = sum(p.can_use_collection_point for p in scenario.pupils)
    print(
        f"{len(scenario.collection_points)} collection points; {able} of "
        f"{len(scenario.pupils)} pupils marked able to use one"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
