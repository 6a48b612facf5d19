"""Change one cell of a shipped scenario to a hostile value, then load -> plan -> check.

Issue 15: every outcome must be a checked plan or a row-level error naming file, row and
field; anything else (a traceback, an error that names no cell, a plan the checker rejects)
is a defect. This script runs many seeded mutations and counts the outcomes::

    .venv/bin/python scripts/mutate_scenarios.py data/rutland --count 300 --seed 0

The property test (tests/property/test_hostile_cells.py) draws from the same values with
hypothesis, and runs the same outcome check.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from routing.dataset import SCENARIO_FILES, load_scenario_from_tables
from routing.errors import InvalidScenarioError, RoutingError
from routing.model import SolveParams
from routing.pipeline import plan_source

# Well-formed but impossible numbers, then strings a spreadsheet or an attacker might send.
HOSTILE_NUMBERS = (
    "0", "-1", "-0", "1e309", "-1e309", "1e18", "1e-30", "nan", "NaN", "inf", "-inf",
    "Infinity", "999999999999999999999999999999", "9" * 40, "0.0000001", "1.999", "12.345",
    "102362", "7", "-45", "2147483648", "9223372036854775808", "1_000", "0x10", "1,5", "١٢",
)  # fmt: skip
HOSTILE_STRINGS = (
    "", " ", "=1+1", "=HYPERLINK(\"http://x\")", "+cmd", "@SUM(A1)", "<script>x</script>",
    "'; DROP TABLE pupils; --", "\x00", "true\x00", "🚌", "é" * 300, "a" * 5000, "TRUE",
    "yes", "null", "None", "25:99", "00:00", "23:59:60", "2013-02-30", "31/12/1899",
)  # fmt: skip
HOSTILE = HOSTILE_NUMBERS + HOSTILE_STRINGS


@dataclass(frozen=True, slots=True)
class Mutation:
    """One cell changed: a CSV cell (row counted as a spreadsheet does, header row 1) or a
    policy.toml key (row 0)."""

    file: str
    row: int
    column: str
    value: str


def read_tables(folder: Path) -> dict[str, str]:
    """The scenario's files as text, by file name."""
    return {n: (folder / n).read_text("utf-8") for n in SCENARIO_FILES if (folder / n).is_file()}


def cells(tables: dict[str, str]) -> list[tuple[str, int, str]]:
    """Every (file, row, column) that a mutation may change."""
    out: list[tuple[str, int, str]] = []
    for name, text in sorted(tables.items()):
        if name.endswith(".toml"):
            out.extend((name, 0, key) for key in _policy_scalars(text))
            continue
        records = list(csv.reader(io.StringIO(text)))
        out.extend(
            (name, row, column) for row in range(2, len(records) + 1) for column in records[0]
        )
    return out


def _policy_scalars(text: str) -> list[str]:
    return [k for k, v in tomllib.loads(text).items() if not isinstance(v, dict)]


def mutate(tables: dict[str, str], mutation: Mutation) -> dict[str, str]:
    """A copy of the tables with the one cell replaced (a policy value is written as a TOML
    string unless it reads as a TOML number or boolean)."""
    changed = dict(tables)
    text = tables[mutation.file]
    if mutation.file.endswith(".toml"):
        changed[mutation.file] = _mutate_toml(text, mutation.column, mutation.value)
        return changed
    records = list(csv.reader(io.StringIO(text)))
    records[mutation.row - 1][records[0].index(mutation.column)] = mutation.value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(records)
    changed[mutation.file] = out.getvalue()
    return changed


def _mutate_toml(text: str, key: str, value: str) -> str:
    try:
        tomllib.loads(f"x = {value}")
        literal = value
    except tomllib.TOMLDecodeError:
        literal = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = [
        f"{key} = {literal}" if line.split("=")[0].strip() == key else line
        for line in text.splitlines()
    ]
    return "\n".join(lines) + "\n"


def outcome(
    tables: dict[str, str], folder: Path, params: SolveParams, cache_dir: Path | None
) -> str:
    """'row_error' or 'checked_plan'; raises AssertionError for anything else.

    A load error must name the file and field of every issue (and the row, for a CSV
    cell); a plan must have passed the independent checker (plan_source raises if not).
    """
    try:
        scenario = load_scenario_from_tables(tables, "mutated", base_dir=folder)
    except InvalidScenarioError as err:
        assert err.issues, f"a load error naming no cell: {err}"
        for issue in err.issues:
            assert issue.file and issue.field, f"an issue naming no file or field: {issue}"
        return "row_error"
    try:
        result = plan_source(scenario, folder, params, cache_dir=cache_dir)
    except RoutingError as err:
        msg = f"planning a loaded scenario failed: {type(err).__name__}: {err}"
        raise AssertionError(msg) from err
    assert result.violations == ()
    return "checked_plan"


def draw(rng: random.Random, all_cells: list[tuple[str, int, str]]) -> Mutation:
    """One seeded mutation: a random cell and a random hostile value."""
    name, row, column = rng.choice(all_cells)
    return Mutation(name, row, column, rng.choice(HOSTILE))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=1.0, help="seconds per run")
    parser.add_argument("--cache-dir", type=Path, default=Path("out/mutate-cache"))
    args = parser.parse_args(argv)
    tables = read_tables(args.scenario)
    all_cells = cells(tables)
    rng = random.Random(args.seed)
    params = SolveParams(time_limit_s=args.time_limit, num_workers=1)
    counts: Counter[str] = Counter()
    defects: list[str] = []
    started = time.perf_counter()
    for i in range(args.count):
        mutation = draw(rng, all_cells)
        try:
            counts[outcome(mutate(tables, mutation), args.scenario, params, args.cache_dir)] += 1
        except Exception as err:  # every other outcome is a defect, counted and shown
            counts["defect"] += 1
            defects.append(f"{mutation}: {type(err).__name__}: {str(err)[:300]}")
        if (i + 1) % 25 == 0:
            print(f"{i + 1}/{args.count} {dict(counts)}", file=sys.stderr)
    wall_s = time.perf_counter() - started
    print(f"{args.count} one-cell mutations of {args.scenario} (seed {args.seed}), {wall_s:.0f} s:")
    for kind in ("row_error", "checked_plan", "defect"):
        print(f"  {kind}: {counts[kind]}")
    for line in defects:
        print(f"  DEFECT {line}")
    return 1 if defects else 0


if __name__ == "__main__":
    raise SystemExit(main())
