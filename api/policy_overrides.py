"""A request's ``policy_overrides``: some fields of a scenario's policy replaced for one plan.

The request handler checks them when a plan is submitted (a bad override is a 422 at
once, not a failed job later) and the worker applies them when it runs the job; both
come here. The overrides are JSON (field name -> value) and ``Policy`` validates the
result, so this is the API's edge, not the domain's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from api.convert import from_jsonable, to_jsonable
from routing.errors import InvalidScenarioError
from routing.model import Policy, Scenario


def policy_with_overrides(policy: Policy, overrides: dict[str, Any]) -> Policy:
    """``policy`` with the named fields replaced (validated by ``Policy`` itself).

    Raises
    ------
    InvalidScenarioError
        Naming an unknown field, or a value of the wrong type or range.
    """
    if not overrides:
        return policy
    merged = {**to_jsonable(policy), **overrides}
    try:
        changed: Policy = from_jsonable(Policy, merged, strict=True)
    except KeyError as err:
        msg = f"Unknown policy field '{err.args[0]}' in policy_overrides."
        raise InvalidScenarioError(msg) from err
    except (TypeError, ValueError) as err:
        if isinstance(err, InvalidScenarioError):
            raise
        msg = f"policy_overrides has a value of the wrong type: {err}."
        raise InvalidScenarioError(msg) from err
    return changed


def apply_policy_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """The scenario with some policy fields replaced (see :func:`policy_with_overrides`)."""
    if not overrides:
        return scenario
    return replace(scenario, policy=policy_with_overrides(scenario.policy, overrides))


def check_policy_overrides(stored_policy: dict[str, Any], overrides: dict[str, Any]) -> None:
    """Refuse overrides that would not apply to a scenario's stored (JSON) policy."""
    policy_with_overrides(from_jsonable(Policy, stored_policy), overrides)
