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
from typing import Any, Iterator

from corpus.io import iter_raw
from corpus.placeholder_rules import placeholder_findings
from corpus.record import GPT, HUMAN, Record, RecordShapeError

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


def _shape_ok(d: Any) -> bool:
    if not isinstance(d, dict):
        return False
    rid = d.get("id")
    if not isinstance(rid, (str, int)) or isinstance(rid, bool):
        return False
    img = d.get("image")
    if img is not None and not isinstance(img, str):
        return False
    if "meta" in d and not isinstance(d["meta"], dict):
        return False
    conv = d.get("conversations")
    if not isinstance(conv, list) or not conv:
        return False
    for t in conv:
        if not isinstance(t, dict) or t.get("from") not in (HUMAN, GPT) or not isinstance(t.get("value"), str):
            return False
    return True


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


def record_findings(rec: Record) -> list[tuple[str, str]]:
    """Rules that need a well-shaped record: roles, empty turns, placeholders."""
    out: list[tuple[str, str]] = []
    turns = rec.turns
    if turns[0].role != HUMAN:
        out.append(("role_order", "first turn is not from human"))
    elif turns[-1].role != GPT:
        out.append(("role_order", "last turn is not from gpt"))
    else:
        for i in range(1, len(turns)):
            if turns[i].role == turns[i - 1].role:
                out.append(("role_order", f"turns {i - 1} and {i} are both from {turns[i].role}"))
                break
    for i, t in enumerate(turns):
        if not t.value.strip():
            out.append(("empty_turn", f"turn {i} ({t.role}) is empty"))
    out.extend(placeholder_findings(rec))
    return out


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


def iter_findings(path: str | os.PathLike, images_root: str | os.PathLike | None = None,
                  result: ValidationResult | None = None) -> Iterator[Finding]:
    """Stream findings for every item of `path`; fill `result` with counts as it goes."""
    from corpus.imagefile import image_problem

    result = result if result is not None else ValidationResult(str(path))
    seen: set[str] = set()
    for item in iter_raw(path):
        result.items += 1
        rid = item.obj.get("id") if isinstance(item.obj, dict) else None
        if item.error:
            found = [item.error]
        else:
            found = schema_findings(item.obj)
            if not found:
                try:
                    rec = Record.from_dict(item.obj)
                except RecordShapeError as e:
                    found = [(e.rule, e.detail)]
                else:
                    found = record_findings(rec)
                    key = str(rid)
                    if key in seen:
                        found.append(("duplicate_id", f"id {rid!r} appeared before"))
                    seen.add(key)
                    if images_root is not None and rec.image is not None:
                        p = image_problem(images_root, rec.image)
                        if p:
                            found.append(p)
        if not found:
            result.valid += 1
            continue
        for rule in {r for r, _ in found}:
            result.records_by_rule[rule] += 1
        for rule, detail in found:
            result.by_rule[rule] += 1
            yield Finding(rid, rule, detail, item.position)


def validate_file(path: str | os.PathLike, images_root: str | os.PathLike | None = None,
                  report: str | os.PathLike | None = None) -> ValidationResult:
    """Validate every record; write one JSON line per finding to `report` (atomically)."""
    from corpus.atomic import atomic_path

    result = ValidationResult(str(path))
    if report is None:
        for _ in iter_findings(path, images_root, result):
            pass
        return result
    with atomic_path(report) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for fd in iter_findings(path, images_root, result):
            f.write(json.dumps({"file": str(path), **fd.to_dict()}, ensure_ascii=False) + "\n")
    return result
