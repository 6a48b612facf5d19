"""Read, validate and write a scenario folder (the format is documented in data/README.md).

A scenario is a folder of CSV files plus one ``policy.toml``:

- ``schools.csv``, ``pupils.csv``, ``vehicle_types.csv``, ``policy.toml`` (required);
- ``incompatible.csv``, ``current_routes.csv``, ``postcodes.csv``,
  ``collection_points.csv`` (optional).

Every load validates everything first and raises one :class:`InvalidScenarioError`
whose ``issues`` list every bad cell as a :class:`RowIssue` (file, row as a spreadsheet
shows it with the header on row 1, field, raw value, message). Nothing is dropped: a
row that cannot be read is an issue, and no partial scenario is ever returned.

pandas stops here: files are read as strings with pandas and parsed into the frozen
dataclasses of :mod:`routing.model`; nothing else in the package sees a DataFrame.
Money in files is pounds (``*_gbp``) and becomes integer pence; minutes (``*_min``)
become integer seconds; times of day (``*_hhmm``) become seconds after midnight.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from routing.dataset.cells import (
    Issues,
    decode_tables,
)
from routing.dataset.columns import (
    COLLECTION_POINTS_FILE,
    CURRENT_ROUTES_FILE,
    INCOMPATIBLE_FILE,
    POLICY_FILE,
    POSTCODES_FILE,
    PUPILS_FILE,
    REQUIRED_FILES,
    SCENARIO_FILES,
    SCHOOLS_FILE,
    VEHICLE_TYPES_FILE,
)
from routing.dataset.policy_file import (
    parse_policy,
)
from routing.dataset.rows import (
    parse_collection_points,
    parse_current_routes,
    parse_incompatible,
    parse_postcodes,
    parse_pupils,
    parse_schools,
    parse_vehicle_types,
)
from routing.errors import InvalidScenarioError, RowIssue
from routing.model import (
    Scenario,
)

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- public API


def load_scenario(folder: Path) -> Scenario:
    """Read and validate the scenario in ``folder``.

    Parameters
    ----------
    folder
        A scenario folder (see data/README.md). Its name becomes the scenario's name;
        graph paths in ``policy.toml [network]`` are resolved against it.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    InvalidScenarioError
        If the folder is missing, a required file is missing, or any cell is invalid;
        ``.issues`` lists every problem found (file, row, field, value, message).
    """
    folder = Path(folder)
    if not folder.is_dir():
        msg = f"Scenario folder '{folder}' does not exist."
        raise InvalidScenarioError(msg, (RowIssue(str(folder), 0, "", str(folder), msg),))
    tables: dict[str, bytes] = {}
    for file_name in SCENARIO_FILES:
        path = folder / file_name
        if path.is_file():
            tables[file_name] = path.read_bytes()
    name = folder.resolve().name
    return load_scenario_from_tables(tables, name, base_dir=folder)


def load_scenario_from_tables(
    tables: Mapping[str, bytes | str], name: str, *, base_dir: Path | None = None
) -> Scenario:
    """Validate a scenario given as file name -> file contents (e.g. an API upload).

    Parameters
    ----------
    tables
        File name (``"pupils.csv"``, ``"policy.toml"``, ...; any folder part is ignored)
        to its text or raw bytes (UTF-8, with or without BOM; Windows-1252 accepted).
    name
        The scenario's name.
    base_dir
        Folder that graph paths in ``policy.toml [network]`` are relative to. When given,
        the graph files must exist there; when None, paths are only checked for shape.

    Returns
    -------
    Scenario
        The validated scenario; never a partial one.

    Raises
    ------
    InvalidScenarioError
        Listing every problem found, in ``.issues``.
    """
    issues = Issues()
    if not name.strip():
        issues.add("", 0, "name", name, "The scenario name must not be empty.")
    texts = decode_tables(tables, issues)
    for file_name in REQUIRED_FILES:
        if file_name not in texts and not issues.has_file(file_name):
            issues.add(file_name, 0, "", "", f"Required file '{file_name}' is missing.")

    policy, academic_year, network = parse_policy(texts.get(POLICY_FILE), issues, base_dir)
    postcodes = parse_postcodes(texts.get(POSTCODES_FILE), issues)
    schools, school_ids = parse_schools(texts.get(SCHOOLS_FILE), postcodes, issues)
    vehicle_types, vehicle_names = parse_vehicle_types(texts.get(VEHICLE_TYPES_FILE), issues)
    pupils, pupil_ids = parse_pupils(
        texts.get(PUPILS_FILE), policy, academic_year, school_ids, postcodes, issues
    )
    pairs = parse_incompatible(texts.get(INCOMPATIBLE_FILE), pupil_ids, issues)
    routes = parse_current_routes(
        texts.get(CURRENT_ROUTES_FILE),
        pupil_ids,
        {v.name: v for v in vehicle_types},
        vehicle_names,
        {p.pupil_id: p for p in pupils},
        issues,
    )
    points = parse_collection_points(texts.get(COLLECTION_POINTS_FILE), issues)
    if vehicle_names is not None and not vehicle_names:
        issues.add(VEHICLE_TYPES_FILE, 0, "name", "", "The scenario has no vehicle types.")
    issues.raise_if_any(name)
    try:
        scenario = Scenario(
            name=name,
            schools=tuple(schools),
            pupils=tuple(pupils),
            vehicle_types=tuple(vehicle_types),
            policy=policy,
            incompatible_pairs=tuple(pairs),
            current_routes=tuple(routes),
            network=network,
            collection_points=tuple(points),
        )
    except InvalidScenarioError as err:  # a cross-check the row checks above missed
        issue = RowIssue("", 0, "", "", str(err))
        msg = f"Scenario '{name}' is invalid: {err}"
        raise InvalidScenarioError(msg, (issue,)) from err
    logger.info(
        "Loaded scenario '%s': %d schools, %d pupils, %d vehicle types, %d current routes.",
        name,
        len(scenario.schools),
        len(scenario.pupils),
        len(scenario.vehicle_types),
        len(scenario.current_routes),
    )
    return scenario
