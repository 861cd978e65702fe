"""The declarative parameter schema's building blocks (pydantic v2).

Every configuration tree (the market's :class:`~abm.market.config.MarketConfig`, a scenario
file's :class:`~abm.scenarios.Scenario`) is declared once as :class:`Schema` models whose fields
carry their type, default, accepted range (``Field(ge=, gt=, le=, lt=)``, ``Literal`` choices)
and meaning (``description``). From that one declaration come validation, the one-line
:class:`~abm.errors.ParameterError` messages (:func:`parameter_error`), the JSON Schema an editor
uses (:func:`json_schema`), the default and the type at a dotted path (:func:`field_at`) and the
documentation's tables (:func:`accepted`).

Validators that need a message of their own raise ``ParameterError`` whose text may hold the
placeholder ``{path}``: it becomes the dotted path of the value the validator checked.

This module sits beside :mod:`abm.errors`, below every layer: it knows no model of the project.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, ClassVar, Literal, Self

import annotated_types
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema

from abm.errors import ParameterError, describe_range

#: Upper bound of integers stored in int64 columns (seeds).
MAX_INT = 2**63 - 1
#: The placeholder a validator's message uses for the checked value's dotted path.
PATH = "{path}"


def _integral(value: Any) -> Any:
    """Integral floats (``3.0``) count as integers; anything else goes on to the strict check."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    return value


#: An integer (never a bool or a string; ``3.0`` is 3). Bounds come from ``Field``.
Int = Annotated[int, BeforeValidator(_integral), Strict()]
#: A finite real number (an integer is accepted; never a bool or a string).
Real = Annotated[float, Strict(), Field(allow_inf_nan=False)]
#: True or false.
Flag = Annotated[bool, Strict()]
#: A string.
Text = Annotated[str, Strict()]


class Schema(BaseModel):
    """Base of every parameter table: unknown keys refused, assignments checked.

    Positional arguments fill the fields in their declared order
    (``LearningConfig("q_learning", {...}, "experienced", 0.1)``). Construction, assignment and
    :meth:`parse` raise :class:`ParameterError`, never pydantic's ``ValidationError``.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    #: Dotted path of the table when it is built on its own (e.g. ``"generalists"``).
    path: ClassVar[str] = ""

    def __init__(self, *args: Any, **data: Any) -> None:
        names = list(type(self).model_fields)
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes at most {len(names)} positional values")
        for name, value in zip(names, args, strict=False):
            if name in data:
                raise TypeError(f"{type(self).__name__} got {name!r} twice")
            data[name] = value
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise parameter_error(error, type(self), type(self).path) from None

    # Nested tables are validated by pydantic-core directly, not through this __init__, so
    # their errors keep the full key path.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except ValidationError as error:
            raise parameter_error(error, type(self), type(self).path) from None

    @classmethod
    def parse(cls, data: Any, root: str | None = None) -> Self:
        """Validate nested data (as read from TOML); errors name ``root.<key path>``."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise parameter_error(error, cls, cls.path if root is None else root) from None


# --- the field at a path --------------------------------------------------------------------------


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The type under ``Annotated``/``Optional`` and the metadata met on the way."""
    metadata: list[Any] = []
    while True:
        if typing.get_origin(annotation) is Annotated:
            base, *extra = typing.get_args(annotation)
            metadata.extend(extra)
            annotation = base
            continue
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, metadata


def _table_fields(annotation: Any) -> dict[str, Any] | None:
    """Field name → (annotation, FieldInfo or dataclass field) of a model or a dataclass."""
    base, _ = _unwrap(annotation)
    if isinstance(base, type) and issubclass(base, BaseModel):
        return {name: (info.annotation, info) for name, info in base.model_fields.items()}
    if dataclasses.is_dataclass(base) and isinstance(base, type):
        hints = typing.get_type_hints(base, include_extras=True)
        return {item.name: (hints[item.name], item) for item in dataclasses.fields(base)}
    return None


def keys(annotation: Any) -> list[str]:
    """The keys a table (a model or a dataclass) accepts, in declared order."""
    return list(_table_fields(annotation) or {})


def field_at(model: type, loc: Sequence[str | int]) -> tuple[Any, Any] | None:
    """The (annotation, FieldInfo or dataclass field) at ``loc`` below ``model``, if any.

    ``loc`` is a pydantic error location or a split dotted path; list indices and dict keys are
    stepped through.
    """
    annotation: Any = model
    found: tuple[Any, Any] | None = None
    for part in loc:
        base, _ = _unwrap(annotation)
        table = _table_fields(base)
        if table is not None:
            if part not in table:
                return None
            found = table[part]
            annotation = found[0]
            continue
        origin, args = typing.get_origin(base), typing.get_args(base)
        if origin is dict and args:
            annotation = args[1]
        elif origin in (list, tuple) and args and isinstance(part, int):
            annotation = args[min(part, len(args) - 1)] if origin is tuple else args[0]
            if args[-1] is Ellipsis:
                annotation = args[0]
        else:
            return None
        found = (annotation, None)
    return found


def default_of(info: Any) -> Any:
    """A field's default (its factory called)."""
    if isinstance(info, FieldInfo):
        return info.get_default(call_default_factory=True)
    if isinstance(info, dataclasses.Field):
        if info.default_factory is not dataclasses.MISSING:
            return info.default_factory()
        return None if info.default is dataclasses.MISSING else info.default
    return None


def bounds(annotation: Any, info: Any) -> dict[str, float]:
    """The ``ge``/``gt``/``le``/``lt`` bounds declared on a field."""
    _, metadata = _unwrap(annotation)
    if isinstance(info, FieldInfo):
        metadata = [*metadata, *info.metadata]
    metadata = [
        inner
        for item in metadata
        for inner in (item.metadata if isinstance(item, FieldInfo) else [item])
    ]
    found: dict[str, float] = {}
    for item in metadata:
        for name in ("ge", "gt", "le", "lt"):
            value = getattr(item, name, None)
            if isinstance(item, annotated_types.BaseMetadata) and value is not None:
                found[name] = value
    return found


def scalar_type(annotation: Any) -> Any:
    """``int``, ``float``, ``bool``, ``str``, a ``Literal`` or another type, unwrapped."""
    base, _ = _unwrap(annotation)
    return base


def choices(annotation: Any) -> tuple[Any, ...] | None:
    """The values a ``Literal`` field accepts."""
    base, _ = _unwrap(annotation)
    return typing.get_args(base) if typing.get_origin(base) is Literal else None


def accepted(annotation: Any, info: Any) -> str:
    """What a scalar field accepts, in words: ``integer >= 1``, ``[0, 1]``, ``a, b``."""
    base, _ = _unwrap(annotation)
    options = choices(annotation)
    if options is not None:
        return ", ".join(str(option) for option in options)
    if base is bool:
        return "true or false"
    if base is str:
        return "a string"
    limits = bounds(annotation, info)
    if base is int:
        low, high = limits.get("ge"), limits.get("le")
        if high is None or high == MAX_INT:
            return "an integer" if low is None else f"an integer >= {low}"
        return f"an integer in [{low}, {high}]"
    if base is float:
        low = limits.get("ge", limits.get("gt", -math.inf))
        high = limits.get("le", limits.get("lt", math.inf))
        return describe_range(low, high, low_open="gt" in limits, high_open="lt" in limits)
    return getattr(base, "__name__", str(base))


# --- ValidationError -> one line ----------------------------------------------------------------


def dotted(root: str, loc: Iterable[str | int]) -> str:
    """``root`` and a location as a key path: ``market.regulator.schedule[0][1]``."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path


def suggest(key: str, known: list[str], what: str = "keys") -> str:
    """`` (did you mean 'x'?); accepted keys: a, b`` (difflib)."""
    match = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    hint = f" (did you mean '{match[0]}'?)" if match else ""
    return f"{hint}; accepted {what}: {', '.join(known)}"


def _shown(value: Any) -> str:
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:g}"
    return repr(value)


_FIRST = ("extra_forbidden", "unexpected_keyword_argument")
_NUMBER_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def describe(error: dict[str, Any], model: type, root: str) -> str:
    """One pydantic error as one line naming the key path, what is accepted and the value."""
    loc = tuple(error["loc"])
    path = dotted(root, loc)
    kind, value = error["type"], error.get("input")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, ParameterError):
        text = str(cause)
        return text.replace(PATH + ".", f"{path}." if path else "").replace(PATH, path)
    if kind in _FIRST:
        parent = field_at(model, loc[:-1]) if loc[:-1] else (model, None)
        known = keys(parent[0]) if parent else []
        return f"unknown key {path}{suggest(str(loc[-1]), known)}"
    found = field_at(model, loc)
    annotation, info = found if found else (None, None)
    base = scalar_type(annotation) if annotation is not None else None
    if kind == "literal_error" and annotation is not None:
        return f"{path} must be one of {accepted(annotation, info)}, got {value!r}"
    if kind.startswith("int_") or (base is int and kind in _NUMBER_ERRORS):
        what = accepted(annotation, info) if base is int else "an integer"
        return f"{path} must be {what}, got {value!r}"
    if kind.startswith("float_") or kind == "finite_number" or kind in _NUMBER_ERRORS:
        interval = accepted(annotation, info) if base is float else "(-inf, inf)"
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{path} must be in {interval}, got {_shown(value)}"
        return f"{path} must be a number in {interval}, got {value!r}"
    if kind.startswith("bool_"):
        return f"{path} must be true or false, got {value!r}"
    if kind == "string_pattern_mismatch" and info is not None:
        return f"{path} must be {info.description}, got {value!r}"
    if kind.startswith("string_"):
        return f"{path} must be a string, got {value!r}"
    if kind in ("model_type", "model_attributes_type", "dataclass_type", "dict_type"):
        return f"{path} must be a table, got {value!r}"
    if kind == "list_type" or kind == "tuple_type":
        return f"{path} must be a list, got {value!r}"
    if kind == "missing":
        return f"{path} is required"
    message = str(error.get("msg", kind)).removeprefix("Value error, ")
    return f"{path}: {message}" if path else message


def parameter_error(error: ValidationError, model: type, root: str = "") -> ParameterError:
    """The first problem of a ValidationError (unknown keys first) as one ParameterError."""
    errors = sorted(error.errors(), key=lambda item: item["type"] not in _FIRST)
    return ParameterError(" ".join(describe(errors[0], model, root).split()))


# --- JSON Schema ------------------------------------------------------------------------------


class _FiniteDefaults(GenerateJsonSchema):
    """JSON has no infinity: non-finite defaults are left out of the schema."""

    def encode_default(self, dft: Any) -> Any:
        return _finite(super().encode_default(dft))

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _without_null_defaults(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _without_null_defaults(item)
            for key, item in value.items()
            if not (key == "default" and item is None)
        }
    if isinstance(value, list):
        return [_without_null_defaults(item) for item in value]
    return value


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the data ``model`` validates."""
    schema = _without_null_defaults(
        model.model_json_schema(schema_generator=_FiniteDefaults, mode="validation")
    )
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
