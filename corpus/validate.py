"""Validate a LLaVA corpus: findings with stable rule codes.

Rules: malformed_json, schema, placeholder_missing, placeholder_extra,
placeholder_position, placeholder_mangled, role_order, empty_turn,
duplicate_id, and with an images root: image_missing, image_unreadable,
image_path_escape.

The JSON Schema ships in ``corpus/schema/llava.schema.json``. A hand-written
shape check runs first and jsonschema only explains the records that fail it:
the schema is the contract, the fast check keeps 158k records/s possible.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Iterator

from corpus.errors import UsageError
from corpus.io import RawItem, iter_raw
from corpus.placeholder_rules import turn_placeholder_findings
from corpus.record import GPT, HUMAN, Record

RULES = (
    "malformed_json", "schema", "placeholder_missing", "placeholder_extra", "placeholder_position",
    "placeholder_mangled", "role_order", "empty_turn", "duplicate_id",
    "image_missing", "image_unreadable", "image_path_escape",
)


@dataclass
class Finding:
    record_id: Any
    rule: str
    detail: str
    position: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.record_id, "rule": self.rule, "detail": self.detail, "position": self.position}


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(files("corpus").joinpath("schema/llava.schema.json").read_text())


@lru_cache(maxsize=1)
def _schema_validator():
    import jsonschema

    return jsonschema.Draft202012Validator(schema())


_ROLES = frozenset((HUMAN, GPT))


def shaped_turns(d: Any) -> list[tuple[str, str]] | None:
    """The (role, value) turns of a dict that matches the schema, else None.

    One pass does the shape check and builds the turns: this runs on every item.
    Exact `type()` tests are safe here because the items come from the JSON parser.
    """
    if type(d) is not dict:
        return None
    rid = d.get("id")
    if type(rid) is not str and type(rid) is not int:
        return None
    img = d.get("image")
    if img is not None and type(img) is not str:
        return None
    if "meta" in d and type(d["meta"]) is not dict:
        return None
    conv = d.get("conversations")
    if type(conv) is not list or not conv:
        return None
    pairs = []
    for t in conv:
        if type(t) is not dict:
            return None
        role, value = t.get("from"), t.get("value")
        if role not in _ROLES or type(value) is not str:
            return None
        pairs.append((role, value))
    return pairs


def _shape_ok(d: Any) -> bool:
    return shaped_turns(d) is not None


def schema_findings(d: Any) -> list[tuple[str, str]]:
    """[] when `d` matches the LLaVA JSON Schema, else one ('schema', detail) per error."""
    if _shape_ok(d):
        return []
    errors = sorted(_schema_validator().iter_errors(d), key=lambda e: list(e.absolute_path))
    if not errors:  # stricter fast check than schema: can't happen, but never hide it
        return [("schema", "record does not match the LLaVA shape")]
    out = []
    for e in errors[:5]:
        where = "/".join(str(p) for p in e.absolute_path) or "record"
        out.append(("schema", f"{where}: {e.message[:200]}"))
    return out


def turn_findings(turns: list[tuple[str, str]], has_image: bool) -> list[tuple[str, str]]:
    """Rules that need well-shaped turns: roles, empty turns, placeholders."""
    out: list[tuple[str, str]] = []
    if turns[0][0] != HUMAN:
        out.append(("role_order", "first turn is not from human"))
    elif turns[-1][0] != GPT:
        out.append(("role_order", "last turn is not from gpt"))
    else:
        for i in range(1, len(turns)):
            if turns[i][0] == turns[i - 1][0]:
                out.append(("role_order", f"turns {i - 1} and {i} are both from {turns[i][0]}"))
                break
    for i, (role, value) in enumerate(turns):
        if not value or value.isspace():
            out.append(("empty_turn", f"turn {i} ({role}) is empty"))
    out.extend(turn_placeholder_findings(turns, has_image))
    return out


def record_findings(rec: Record) -> list[tuple[str, str]]:
    """`turn_findings` for a Record (used by filter stages)."""
    if not rec.turns:
        return [("schema", "record has no turns")]
    return turn_findings([(t.role, t.value) for t in rec.turns], rec.has_image)


@dataclass
class ValidationResult:
    path: str
    items: int = 0
    valid: int = 0
    by_rule: Counter = field(default_factory=Counter)
    records_by_rule: Counter = field(default_factory=Counter)

    @property
    def invalid(self) -> int:
        return self.items - self.valid

    @property
    def findings(self) -> int:
        return sum(self.by_rule.values())

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.path, "records": self.items, "valid": self.valid, "invalid": self.invalid,
                "findings": self.findings, "by_rule": dict(self.by_rule),
                "records_by_rule": dict(self.records_by_rule)}


def item_findings(item: RawItem, images_root=None) -> tuple[list[tuple[str, str]], str | None]:
    """Findings for one raw item except duplicate ids, and its id key (None if unshaped)."""
    if item.error:
        return [item.error], None
    d = item.obj
    pairs = shaped_turns(d)  # work on the dict: no Record needed
    if pairs is None:
        return schema_findings(d), None
    image = d.get("image")
    found = turn_findings(pairs, image is not None)
    if images_root is not None and image is not None:
        from corpus.imagefile import image_problem

        p = image_problem(images_root, image)
        if p:
            found.append(p)
    return found, str(d["id"])


def _id_of(obj: Any) -> Any:
    return obj.get("id") if isinstance(obj, dict) else None


def iter_findings(path: str | os.PathLike, images_root: str | os.PathLike | None = None,
                  result: ValidationResult | None = None) -> Iterator[Finding]:
    """Stream findings for every item of `path`, in order; fill `result` with counts as it goes."""
    result = result if result is not None else ValidationResult(str(path))
    seen: set[str] = set()
    for item in iter_raw(path):
        found, key = item_findings(item, images_root)
        if key is not None:
            if key in seen:
                found.append(("duplicate_id", f"id {_id_of(item.obj)!r} appeared before"))
            seen.add(key)
        yield from _count(result, found, _id_of(item.obj), item.position)


def _count(result: ValidationResult, found, rid, position) -> Iterator[Finding]:
    result.items += 1
    if not found:
        result.valid += 1
        return
    for rule in {r for r, _ in found}:
        result.records_by_rule[rule] += 1
    for rule, detail in found:
        result.by_rule[rule] += 1
        yield Finding(rid, rule, detail, position)


def validate_file(path: str | os.PathLike, images_root: str | os.PathLike | None = None,
                  report: str | os.PathLike | None = None, jobs: int | None = None) -> ValidationResult:
    """Validate every record; write one JSON line per finding to `report` (atomically).

    A big `.json` list is checked by `jobs` processes (default: up to 2 cores)
    with the same findings, in the same order, as one pass.
    """
    from corpus.atomic import atomic_path
    from corpus.io import detect_format
    from corpus.validate_parallel import parallel_findings

    if images_root is not None and not Path(images_root).is_dir():
        raise UsageError(f"--images-root {images_root}: not a folder")
    result = ValidationResult(str(path))
    jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    findings = None
    if detect_format(path) == "json" and os.path.isfile(path):
        findings = parallel_findings(path, images_root, result, jobs)
    if findings is None:
        findings = iter_findings(path, images_root, result)
    if report is None:
        for _ in findings:
            pass
        return result
    with atomic_path(report) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for fd in findings:
            f.write(json.dumps({"file": str(path), **fd.to_dict()}, ensure_ascii=False) + "\n")
    return result
