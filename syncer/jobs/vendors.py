"""Vendor connection settings in a job file, built from each vendor's own Settings dataclass.

For every vendor in the registry (:data:`syncer.vendors.VENDORS`) this module makes a source
model and a target model whose keys are the Settings fields (same names, defaults and bounds;
:mod:`syncer.vendors.fields` says how a field is marked): listing options exist on the source
model only and write options on the target model only, so a key that would be ignored is refused
instead. ``settings()`` builds the client's Settings. :data:`Source` and :data:`Target` pick the
model by the ``vendor`` key. Nothing here names a vendor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union, get_args, get_origin
from typing import get_type_hints as type_hints

from pydantic import AfterValidator, Field, ValidationInfo, create_model

from syncer.jobs.endpoint import Endpoint, HttpUrl, TargetOptions
from syncer.jobs.options import BASE_DIR
from syncer.vendors import VENDORS, settings_class
from syncer.vendors.fields import SECRET, SOURCE, TARGET, URL, Limit, Mark


class VendorSource(Endpoint):
    """A job's ``[source]`` table of one vendor: its keys are that vendor's Settings fields."""

    settings_type: ClassVar[type[Any]]
    #: Settings field -> the job's request limit (``concurrency`` or ``rate``) that fills it.
    limits: ClassVar[dict[str, str]] = {}

    def connection_kwargs(self) -> dict[str, Any]:
        keys = {name: _tuples(getattr(self, name)) for name in _settings_keys(type(self))}
        return {**keys, **{name: getattr(self, key) for name, key in self.limits.items()}}

    def settings(self) -> Any:
        return self.settings_type(**self.connection_kwargs())


class VendorTarget(TargetOptions, VendorSource):
    """A job's ``[[targets]]`` table of one vendor: the engine's options and its Settings."""


def _tuples(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _settings_keys(model: type[VendorSource]) -> Iterator[str]:
    names = {f.name for f in dataclasses.fields(model.settings_type)}
    return (name for name in model.model_fields if name in names)


def _marks(hint: Any) -> list[Any]:
    return list(hint.__metadata__) if get_origin(hint) is Annotated else []


def _optional(hint: Any) -> bool:
    inner = get_args(hint)[0] if get_origin(hint) is Annotated else hint
    return get_origin(inner) in (Union, UnionType) and NoneType in get_args(inner)


def _is_path(hint: Any) -> bool:
    inner = get_args(hint)[0] if get_origin(hint) is Annotated else hint
    return inner is Path or Path in get_args(inner)


def _from_job_dir(path: Path | None, info: ValidationInfo) -> Path | None:
    base = (info.context or {}).get(BASE_DIR)
    return path if path is None or base is None else Path(base) / path


def _as_list(hint: Any) -> Any:
    """``hint`` with each ``tuple[X, ...]`` read as ``list[X]``: a TOML array, named as one in
    messages (``connection_kwargs`` turns it back into a tuple)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        return Annotated[(_as_list(args[0]), *hint.__metadata__)]
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return list[_as_list(args[0])]  # type: ignore[misc]
    if origin in (Union, UnionType):
        return Union[tuple(_as_list(arg) for arg in args)]  # noqa: UP007
    return hint


def _job_type(hint: Any) -> Any:
    """The Settings field's type, with what a job file adds: URL checks, job-relative paths,
    arrays."""
    if URL in _marks(hint):
        return (HttpUrl | None) if _optional(hint) else HttpUrl
    if _is_path(hint):
        return Annotated[hint, AfterValidator(_from_job_dir)]
    return _as_list(hint)


def _default(field: dataclasses.Field[Any]) -> Any:
    if isinstance(field.default, tuple):  # read as a list (:func:`_as_list`)
        return Field(default_factory=partial(list, field.default))
    if field.default is not dataclasses.MISSING:
        return Field(default=field.default)
    if field.default_factory is not dataclasses.MISSING:
        return Field(default_factory=field.default_factory)
    return Field()


def _fields(settings: type[Any], role: Mark) -> dict[str, Any]:
    """The job-file keys of ``settings`` in ``role`` (SOURCE or TARGET), as pydantic fields."""
    hints = type_hints(settings, include_extras=True)
    other = TARGET if role is SOURCE else SOURCE
    keys = {}
    for field in dataclasses.fields(settings):
        marks = _marks(hints[field.name])
        if other not in marks and not any(isinstance(mark, Limit) for mark in marks):
            keys[field.name] = (_job_type(hints[field.name]), _default(field))
    return keys


def _limits(settings: type[Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """Settings field -> job limit key, and the vendor's defaults of those limits."""
    hints = type_hints(settings, include_extras=True)
    limits: dict[str, str] = {}
    defaults: dict[str, Any] = {}
    for field in dataclasses.fields(settings):
        for mark in _marks(hints[field.name]):
            if isinstance(mark, Limit):
                limits[field.name] = mark.key
                defaults[f"default_{mark.key}"] = field.default
    return limits, defaults


def _title(settings: type[Any]) -> str:
    return settings.__name__.removesuffix("Settings")


def _model(vendor: str, role: Mark) -> type[VendorSource]:
    settings = settings_class(vendor)
    limits, defaults = _limits(settings)
    base = VendorSource if role is SOURCE else VendorTarget
    model: type[VendorSource] = create_model(
        f"{_title(settings)}{role.value.title()}",
        __base__=base,
        __doc__=f"{_title(settings)} as a {role.value} (:class:`{settings.__qualname__}`).",
        vendor=(Literal[vendor], ...),  # type: ignore[arg-type]
        **_fields(settings, role),
    )
    model.settings_type = settings
    model.limits = limits
    for name, value in defaults.items():
        setattr(model, name, value)
    return model


def _union(role: Mark) -> Any:
    models = tuple(_model(vendor, role) for vendor in sorted(VENDORS))
    return Annotated[Union[models], Field(discriminator="vendor")]  # noqa: UP007


#: The vendors a job file can name (the registry's).
VENDOR_NAMES = tuple(sorted(VENDORS))
#: Keys whose values are secrets wherever they appear (masked in reports even when literal):
#: every Settings field marked SECRET, in any vendor.
SECRET_KEYS = frozenset(
    field.name
    for vendor in VENDOR_NAMES
    for field in dataclasses.fields(settings_class(vendor))
    if SECRET in _marks(type_hints(settings_class(vendor), include_extras=True)[field.name])
)

if TYPE_CHECKING:
    Source = VendorSource
    Target = VendorTarget
else:
    Source = _union(SOURCE)
    Target = _union(TARGET)
