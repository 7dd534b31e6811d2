"""The engine Protocol and the registry.

An engine translates plain sentences (already masked and segmented: it never
sees ``<image>``, boxes or layout). Built-in engines sit in `BUILTIN` as
lazy factories, so importing this module imports no engine library.
Third-party engines come through the ``corpus.engines`` entry-point group::

    [project.entry-points."corpus.engines"]
    myengine = "mypkg.engine:MyEngine"   # a class or factory: (source, target, **options) -> Engine

Example:
    eng = get_engine("bergamot", source="en", target="pt-BR")
    eng.translate_batch(["A cat sits on the mat."])
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Protocol, runtime_checkable

from corpus.errors import EngineUnavailable


@runtime_checkable
class Engine(Protocol):
    name: str
    version: str  # engine + model version: part of the translation-memory key
    max_chars: int  # longest input the engine takes in one call (segments are split below it)

    def translate_batch(self, texts: list[str]) -> list[str]:
        """Translate each text; same length and order. Raise on failure (the runner retries)."""
        ...


# name -> "module:factory"; factories take (source, target, **options).
BUILTIN: dict[str, str] = {
    "bergamot": "corpus.translate.bergamot:BergamotEngine",
    "argos": "corpus.translate.argos:ArgosEngine",
    "google": "corpus.translate.online:google",
    "deepl": "corpus.translate.online:deepl",
    "microsoft": "corpus.translate.online:microsoft",
    "libre": "corpus.translate.online:libre",
    "mymemory": "corpus.translate.online:mymemory",
}
DEFAULT_ENGINE = "bergamot"


@dataclass
class EngineInfo:
    name: str
    origin: str  # "builtin" or the distribution that registered it
    target: str  # "module:attr"


def _load(target: str) -> Callable[..., Any]:
    mod, _, attr = target.partition(":")
    return getattr(importlib.import_module(mod), attr)


@lru_cache(maxsize=1)
def registry() -> dict[str, EngineInfo]:
    """Built-in engines, then plugins from the `corpus.engines` entry points (loaded once)."""
    from importlib.metadata import entry_points

    reg = {n: EngineInfo(n, "builtin", t) for n, t in BUILTIN.items()}
    for ep in entry_points(group="corpus.engines"):
        if ep.name not in reg:  # a plugin cannot shadow a built-in
            dist = getattr(ep, "dist", None)
            reg[ep.name] = EngineInfo(ep.name, dist.name if dist else "plugin", ep.value)
    return reg


def get_engine(name: str, source: str = "en", target: str = "pt-BR", **options: Any) -> Engine:
    """Build an engine by name. Raises EngineUnavailable with the reason when it can't run."""
    reg = registry()
    if name not in reg:
        raise EngineUnavailable(f"unknown engine {name!r}; available: {', '.join(sorted(reg))}")
    try:
        factory = _load(reg[name].target)
    except ImportError as e:
        raise EngineUnavailable(f"engine {name!r} cannot be imported: {e}") from None
    return factory(source=source, target=target, **options)


def availability(name: str, source: str = "en", target: str = "pt-BR", **options: Any):
    """Whether engine `name` can run here, and why not (cheap, offline; see corpus.translate.availability)."""
    from corpus.translate.availability import check

    if name not in registry():
        raise EngineUnavailable(f"unknown engine {name!r}; available: {', '.join(sorted(registry()))}")
    return check(name, source, target, **options)
