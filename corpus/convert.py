"""LLaVA ⇄ Hugging Face chat "messages" format.

messages format (transformers processors, TRL)::

    {"id": ..., "images": ["a.jpg"], "messages": [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Describe."}]},
        {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]}]}

The ``<image>`` position (before or after the question) becomes the position
of the ``{"type": "image"}`` part. LLaVA's newline beside ``<image>`` is
folded into the part boundary; an image part glued to its text without that
newline carries ``"glued": true`` so the round trip stays exact.
"""
from __future__ import annotations

import os
import time
from typing import Any

from corpus.atomic import write_json_atomic
from corpus.errors import check_counts
from corpus.io import Problem, RecordReader, RecordWriter, iter_raw
from corpus.rejects import Rejects
from corpus.record import GPT, HUMAN, IMAGE_TOKEN, Record, RecordShapeError, Turn

ROLE_TO_CHAT = {HUMAN: "user", GPT: "assistant"}
CHAT_TO_ROLE = {v: k for k, v in ROLE_TO_CHAT.items()}
FORMATS = ("llava", "messages")


def _value_to_parts(value: str) -> list[dict[str, Any]]:
    pieces = value.split(IMAGE_TOKEN)
    parts: list[dict[str, Any]] = []
    for i, piece in enumerate(pieces):
        if i > 0:
            img: dict[str, Any] = {"type": "image"}
            if piece.startswith("\n"):
                piece = piece[1:]
            elif piece:
                img["glued"] = True
            parts.append(img)
        if i < len(pieces) - 1:
            if piece.endswith("\n"):
                piece = piece[:-1]
            elif piece:
                piece_glued = True
                parts.append({"type": "text", "text": piece, "glued": piece_glued})
                continue
        if piece:
            parts.append({"type": "text", "text": piece})
    return parts


def _parts_to_value(parts: list[dict[str, Any]]) -> str:
    out = ""
    prev = None
    for p in parts:
        if p.get("type") == "image":
            if prev is not None and prev.get("type") == "text" and not prev.get("glued"):
                out += "\n"
            out += IMAGE_TOKEN
        else:
            if prev is not None and prev.get("type") == "image" and not prev.get("glued"):
                out += "\n"
            out += p.get("text", "")
        prev = p
    return out


def to_messages(rec: Record) -> dict[str, Any]:
    d: dict[str, Any] = {"id": rec.id}
    if rec.has_image:
        d["images"] = [rec.image]
    d["messages"] = [{"role": ROLE_TO_CHAT.get(t.role, t.role), "content": _value_to_parts(t.value)}
                     for t in rec.turns]
    d.update(rec.extra)
    if rec.meta:
        d["meta"] = rec.meta
    return d


def from_messages(d: dict[str, Any]) -> Record:
    extra = {k: v for k, v in d.items() if k not in ("id", "images", "image", "messages", "meta")}
    images = d.get("images") or ([d["image"]] if d.get("image") else [])
    turns = []
    for m in d.get("messages", []):
        content = m.get("content")
        value = content if isinstance(content, str) else _parts_to_value(content or [])
        turns.append(Turn(CHAT_TO_ROLE.get(m.get("role"), m.get("role")), value))
    keys = ("id", "image", "conversations") if images else ("id", "conversations")
    return Record(d.get("id"), turns, images[0] if images else None, extra, dict(d.get("meta") or {}),
                  keys + tuple(extra))


def convert_file(src: str | os.PathLike, dst: str | os.PathLike, to: str, *,
                 rejects: str | os.PathLike | None = None, stats: str | os.PathLike | None = None) -> dict[str, Any]:
    """Convert a whole file; returns (and writes beside `dst`) the stats. Bad input items go to
    `rejects` (default ``DST.rejects.jsonl``) with their position and rule."""
    t0 = time.perf_counter()
    rejects = rejects or f"{dst}.rejects.jsonl"
    n_in = 0
    with Rejects(rejects) as sink, RecordWriter(dst) as w:
        if to == "messages":
            reader = RecordReader(src)
            for rec in reader:
                w.write(to_messages(rec))
            for p in reader.problems:
                sink.add_problem(p)
            n_in = reader.n_items
        else:
            for item in iter_raw(src):
                n_in += 1
                if item.error:
                    sink.add_problem(Problem(str(src), item.position, *item.error))
                    continue
                d = item.obj
                try:
                    if not isinstance(d, dict):
                        raise RecordShapeError("schema", f"item is a {type(d).__name__}, not an object")
                    w.write(from_messages(d) if "messages" in d else Record.from_dict(d))
                except RecordShapeError as e:
                    rid = d.get("id") if isinstance(d, dict) else None
                    sink.add_problem(Problem(str(src), item.position, e.rule, e.detail, rid, d))
        written = w.count
    result = {"command": "convert", "input": str(src), "output": str(dst), "to": to, "rejects": str(rejects),
              "records_in": n_in, "records_out": written, "rejected": sink.count,
              "rejected_by_reason": dict(sink.by_reason.most_common()),
              "seconds": round(time.perf_counter() - t0, 3)}
    check_counts(result, str(src))
    write_json_atomic(stats or f"{dst}.stats.json", result)
    return result
