"""The one type that flows through every stage: `Record`, made of `Turn`s.

A LLaVA record is ``{"id", "image"?, "conversations": [{"from", "value"}, ...]}``.
Unknown keys (at record and turn level) are kept untouched and in their
original order, so ``Record.from_dict(d).to_dict() == d`` with the same key
order: a read → write round trip gives equivalent JSON.

``meta`` carries provenance (language scores, engine, reasons). It is written
under the ``"meta"`` key only when non-empty, and read back from it.

Example:
    >>> r = Record.from_dict({"id": 1, "conversations": [{"from": "human", "value": "Hi"}]})
    >>> r.turns[0].role, r.has_image
    ('human', False)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IMAGE_TOKEN = "<image>"
HUMAN, GPT = "human", "gpt"
_ABSENT = object()


class RecordShapeError(ValueError):
    """The dict is not shaped like a LLaVA record (caught by readers and reported)."""

    def __init__(self, rule: str, detail: str):
        self.rule, self.detail = rule, detail
        super().__init__(f"[{rule}] {detail}")


@dataclass
class Turn:
    role: str
    value: str
    extra: dict[str, Any] = field(default_factory=dict)
    # Original key order, so unknown keys keep their place on write.
    keys: tuple[str, ...] = ("from", "value")

    @classmethod
    def from_dict(cls, d: Any, idx: int = 0) -> "Turn":
        if not isinstance(d, dict):
            raise RecordShapeError("schema", f"turn {idx} is not an object")
        if "from" not in d or "value" not in d:
            raise RecordShapeError("schema", f"turn {idx} needs 'from' and 'value'")
        if not isinstance(d["value"], str) or not isinstance(d["from"], str):
            raise RecordShapeError("schema", f"turn {idx}: 'from' and 'value' must be strings")
        extra = {k: v for k, v in d.items() if k not in ("from", "value")}
        return cls(d["from"], d["value"], extra, tuple(d))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k in self.keys:
            if k == "from":
                out["from"] = self.role
            elif k == "value":
                out["value"] = self.value
            elif k in self.extra:
                out[k] = self.extra[k]
        for k, v in self.extra.items():  # keys added by a stage go last
            out.setdefault(k, v)
        return out


@dataclass
class Record:
    id: Any
    turns: list[Turn]
    image: Any = None  # str path, or None when absent / null
    extra: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    # Original top-level key order; "image" is in it only if the input had the key.
    keys: tuple[str, ...] = ("id", "image", "conversations")

    @property
    def has_image(self) -> bool:
        return self.image is not None

    @property
    def key(self) -> str:
        """The id as a string: what Arrow, hashing and messages use."""
        return str(self.id)

    @classmethod
    def from_dict(cls, d: Any) -> "Record":
        if not isinstance(d, dict):
            raise RecordShapeError("schema", f"record is a {type(d).__name__}, not an object")
        if "id" not in d:
            raise RecordShapeError("schema", "record has no 'id'")
        rid = d["id"]
        if not isinstance(rid, (str, int)) or isinstance(rid, bool):
            raise RecordShapeError("schema", f"'id' must be a string or integer, got {type(rid).__name__}")
        conv = d.get("conversations", _ABSENT)
        if not isinstance(conv, list):
            raise RecordShapeError("schema", "'conversations' must be a list")
        image = d.get("image")
        if image is not None and not isinstance(image, str):
            raise RecordShapeError("schema", "'image' must be a string or absent")
        turns = [Turn.from_dict(t, i) for i, t in enumerate(conv)]
        extra = {k: v for k, v in d.items() if k not in ("id", "image", "conversations", "meta")}
        meta = d.get("meta") if isinstance(d.get("meta"), dict) else {}
        if "meta" in d and not isinstance(d["meta"], dict):
            extra["meta"] = d["meta"]  # someone else's "meta": keep it, don't interpret it
        return cls(rid, turns, image, extra, dict(meta), tuple(d))

    def to_dict(self, *, with_meta: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        keys = list(self.keys)
        if self.image is not None and "image" not in keys:
            keys.insert(1, "image")
        for k in keys:
            if k == "id":
                out["id"] = self.id
            elif k == "image":
                if self.image is not None or "image" in self.keys:
                    out["image"] = self.image
            elif k == "conversations":
                out["conversations"] = [t.to_dict() for t in self.turns]
            elif k == "meta":
                if "meta" in self.extra:
                    out["meta"] = self.extra["meta"]
                elif with_meta:
                    out["meta"] = self.meta
            elif k in self.extra:
                out[k] = self.extra[k]
        for k, v in self.extra.items():
            out.setdefault(k, v)
        if "conversations" not in out:
            out["conversations"] = [t.to_dict() for t in self.turns]
        if with_meta and self.meta and "meta" not in out:
            out["meta"] = self.meta
        return out

    def copy(self, **changes: Any) -> "Record":
        """A deep-enough copy: new turn objects and dicts, same values."""
        fields = dict(
            id=self.id,
            turns=[Turn(t.role, t.value, dict(t.extra), t.keys) for t in self.turns],
            image=self.image,
            extra=dict(self.extra),
            meta=dict(self.meta),
            keys=self.keys,
        )
        fields.update(changes)
        return Record(**fields)

    def texts(self, role: str | None = None) -> list[str]:
        return [t.value for t in self.turns if role is None or t.role == role]
