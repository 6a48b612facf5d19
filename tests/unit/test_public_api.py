"""routing/__init__.py: the public API, loaded name by name on first use."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import routing


def test_every_public_name_is_its_modules_object() -> None:
    assert sorted(routing.__all__) == sorted(routing._MODULE_OF)
    for name in routing.__all__:
        module = importlib.import_module(routing._MODULE_OF[name])
        assert getattr(routing, name) is getattr(module, name), name


def test_type_checkers_see_the_same_names_as_the_runtime() -> None:
    source = Path(routing.__file__).read_text(encoding="utf-8")
    block = next(
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    seen = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == routing._MODULE_OF


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        routing.no_such_name  # noqa: B018


def test_importing_the_package_loads_no_room() -> None:
    # Every solver process the decomposer spawns imports the package first.
    heavy = ("pandas", "ortools", "osmnx", "numba", "routing.pipeline", "routing.model")
    code = f"import sys, routing; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
