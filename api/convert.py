"""Plain-data conversion of domain dataclasses for JSON columns and JSON responses."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")


def to_jsonable(value: Any) -> Any:
    """Dataclasses, enums, tuples, numpy scalars and dates as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return to_jsonable(item())
    tolist = getattr(value, "tolist", None)  # numpy arrays
    if callable(tolist):
        return to_jsonable(tolist())
    return str(value)


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], value) if len(args) == 1 else value
    if origin is tuple:
        inner = typing.get_args(tp)[0] if typing.get_args(tp) else Any
        return tuple(_convert(inner, v) for v in value)
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return from_jsonable(tp, value)
        if issubclass(tp, Enum):
            return tp(value)
        if tp is date and isinstance(value, str):
            return date.fromisoformat(value)
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
    return value


def from_jsonable(cls: type[T], data: dict[str, Any], *, strict: bool = False) -> T:
    """Build dataclass ``cls`` from ``data`` (the inverse of :func:`to_jsonable`).

    Unknown keys are ignored unless ``strict``, in which case they raise ``KeyError``
    naming the key; missing keys take the dataclass default.
    """
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if strict and unknown:
        raise KeyError(unknown[0])
    kwargs = {k: _convert(hints[k], v) for k, v in data.items() if k in names}
    return cls(**kwargs)
