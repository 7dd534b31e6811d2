"""Recipes: a curation pipeline as a YAML list of stages (like data-juicer's ``process:``).

::

    name: ptbr-instruct
    process:
      - read: {path: llava_instruct_150k.json}
      - translate: {engine: bergamot, target: pt-BR, keep_source: true}
      - langid: {lang: pt, min_score: 0.8}
      - variant: {variant: pt-BR, min_score: 0.2}
      - checks: {length_ratio: {low: 0.6, high: 2.0}}
      - duplicates: {}
      - validate: {}
      - write: {path: llava_instruct_ptbr.json, rejects: rejects.jsonl}

The first stage reads and the last writes; the ones between come from
`STAGES`. Paths are relative to the working directory. Any parameter can be
overridden with ``stage.param=value`` (the value is read as YAML), and
``--input``/``--output`` are shortcuts for ``read.path``/``write.path``.
The resolved recipe is saved in the run's stats.

Example:
    stats = run_recipe("recipes/ptbr-instruct.yaml", input="in.json", output="out.json",
                       overrides=["langid.min_score=0.9"])
"""
from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from corpus.errors import UsageError
from corpus.rejects import Rejects
from corpus.stage import Stage


def _translate(rejects: Rejects, **params: Any) -> Stage:
    try:
        from corpus.translate.run import TranslateStage
    except ImportError as e:  # the translate package is optional at import time
        raise UsageError(f"the translate stage is not available: {e}") from None
    return TranslateStage(rejects=rejects, **params)


def _filter(qualname: str) -> Callable[..., Stage]:
    def factory(rejects: Rejects, **params: Any) -> Stage:
        import importlib

        mod, _, cls = qualname.partition(":")
        return getattr(importlib.import_module(mod), cls)(rejects=rejects, **params)

    factory.target = qualname  # type: ignore[attr-defined]
    return factory


# name -> factory(rejects=..., **params). Heavy modules load only when a stage is built.
STAGES: dict[str, Callable[..., Stage]] = {
    "translate": _translate,
    "langid": _filter("corpus.filters:LangIDFilter"),
    "variant": _filter("corpus.filters:VariantFilter"),
    "checks": _filter("corpus.filters:QualityChecks"),
    "duplicates": _filter("corpus.filters:Duplicates"),
    "validate": _filter("corpus.filters:Validate"),
    "qe": _filter("corpus.qe:SemanticSimilarity"),
}
FILTER_STAGES = ("langid", "variant", "checks", "duplicates", "validate", "qe")


def build_stage(name: str, params: dict[str, Any], rejects: Rejects) -> Stage:
    if name not in STAGES:
        raise UsageError(f"unknown stage {name!r}; known: read, {', '.join(STAGES)}, write")
    factory = STAGES[name]
    target = getattr(factory, "target", None)
    if target:  # check parameter names before building (a typo must not run for an hour)
        import importlib

        mod, _, cls = target.partition(":")
        try:
            inspect.signature(getattr(importlib.import_module(mod), cls)).bind(rejects=rejects, **params)
        except TypeError as e:
            raise UsageError(f"stage {name}: {e}") from None
    return factory(rejects=rejects, **params)


@dataclass
class Recipe:
    path: str
    name: str
    read: dict[str, Any]
    stages: list[tuple[str, dict[str, Any]]]
    write: dict[str, Any]
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Recipe":
        import yaml

        try:
            doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"{path}: no such recipe") from None
        except yaml.YAMLError as e:
            raise UsageError(f"{path}: not valid YAML: {' '.join(str(e).split())}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("process"), list) or not doc["process"]:
            raise UsageError(f"{path}: a recipe is a mapping with a non-empty 'process:' list of stages")
        steps = []
        for i, item in enumerate(doc["process"]):
            if isinstance(item, str):
                item = {item: {}}
            if not isinstance(item, dict) or len(item) != 1:
                raise UsageError(f"{path}: process item {i + 1} must be one 'stage: {{params}}' mapping")
            (name, params), = item.items()
            if params is None:
                params = {}
            if not isinstance(params, dict):
                raise UsageError(f"{path}: stage {name!r} parameters must be a mapping")
            if name not in STAGES and name not in ("read", "write"):
                raise UsageError(f"{path}: unknown stage {name!r}; known: read, {', '.join(STAGES)}, write")
            steps.append((name, dict(params)))
        if steps[0][0] != "read" or steps[-1][0] != "write" or \
                any(n in ("read", "write") for n, _ in steps[1:-1]):
            raise UsageError(f"{path}: the first stage must be 'read' and the last 'write' (once each)")
        extra = {k: v for k, v in doc.items() if k not in ("name", "description", "process")}
        return cls(str(path), str(doc.get("name") or Path(path).stem), steps[0][1], steps[1:-1], steps[-1][1],
                   str(doc.get("description") or ""), extra)

    def override(self, assignments: list[str]) -> None:
        """Apply ``stage.param[.sub]=value`` (value read as YAML); `stage` is read, write or a stage name."""
        import yaml

        for a in assignments:
            key, eq, raw = a.partition("=")
            stage, dot, param = key.strip().partition(".")
            if not eq or not dot or not param:
                raise UsageError(f"--set {a!r}: expected stage.param=value, e.g. langid.min_score=0.9")
            value = yaml.safe_load(raw) if raw.strip() else None
            if stage == "read":
                hits = [self.read]
            elif stage == "write":
                hits = [self.write]
            else:
                hits = [p for n, p in self.stages if n == stage]
                if not hits:
                    raise UsageError(f"--set {a!r}: the recipe has no {stage!r} stage "
                                     f"(it has: {', '.join(n for n, _ in self.stages)})")
            *path, last = param.split(".")  # checks.length_ratio.low=0.5 reaches a nested mapping
            for p in hits:
                for k in path:
                    if not isinstance(p.get(k), dict):
                        p[k] = {}
                    p = p[k]
                p[last] = value

    def resolved(self) -> list[dict[str, Any]]:
        return [{"read": self.read}, *({n: p} for n, p in self.stages), {"write": self.write}]


def run_recipe(path: str | os.PathLike, *, input: str | os.PathLike | None = None,
               output: str | os.PathLike | None = None, rejects: str | os.PathLike | None = None,
               stats: str | os.PathLike | None = None, overrides: list[str] | None = None,
               show_progress: bool = True) -> dict[str, Any]:
    """Load, override, and run a recipe; return the run's stats (also written beside the output)."""
    from corpus.filter_run import run_stages

    r = Recipe.load(path)
    r.override(list(overrides or []))
    for key, value in (("path", input),):
        if value is not None:
            r.read[key] = str(value)
    if output is not None and rejects is None:
        rejects = f"{output}.rejects.jsonl"  # a new output never shares the recipe's rejects file
    for key, value in (("path", output), ("rejects", rejects), ("stats", stats)):
        if value is not None:
            r.write[key] = str(value)
    unknown = set(r.read) - {"path"} | set(r.write) - {"path", "rejects", "stats"}
    if unknown:
        raise UsageError(f"{path}: unknown read/write parameter(s): {', '.join(sorted(unknown))}")
    if not r.read.get("path") or not r.write.get("path"):
        raise UsageError(f"{path}: the recipe needs read.path and write.path (or --input / --output)")

    def build(sink: Rejects) -> list[Stage]:
        stages = []
        for name, params in r.stages:
            if name == "translate":
                params = {"input_name": str(r.read["path"]), **params}
            try:
                stages.append(build_stage(name, params, sink))
            except UsageError as e:
                raise UsageError(f"{path}: {e}") from None
        return stages

    return run_stages(r.read["path"], r.write["path"], build, rejects=r.write.get("rejects"),
                      stats=r.write.get("stats"), command="run",
                      extra_stats={"recipe": str(path), "name": r.name, "resolved": r.resolved()},
                      show_progress=show_progress)
