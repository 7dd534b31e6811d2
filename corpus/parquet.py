"""Parquet layout for records, with Arrow-safe types.

Arrow rejects mixed types across rows, so: ``id`` is always a string,
``image`` a nullable string, ``conversations`` a ``list<struct<from, value>>``.
Unknown top-level keys go, JSON-encoded, into an ``extra`` string column,
with unknown turn keys under ``"__turn_extra__"`` and, under ``"__layout__"``,
what the columns cannot hold (an integer id, an unusual key order, an explicit
``"image": null``); ``meta`` goes into a ``meta`` string column. So a round
trip gives back the exact LLaVA dict. `corpus build` writes the same rows.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

TURN = pa.struct([("from", pa.string()), ("value", pa.string())])
SCHEMA = pa.schema([
    ("id", pa.string()),
    ("image", pa.string()),
    ("conversations", pa.list_(TURN)),
    ("extra", pa.string()),
    ("meta", pa.string()),
])
BATCH = 8192
CORE_KEYS = ("id", "image", "conversations")
_ROW_KEYS = frozenset((*CORE_KEYS, "meta"))
_COLUMNS = frozenset((*CORE_KEYS, "extra", "meta"))


def encode_row(d: dict[str, Any]) -> dict[str, Any]:
    """A LLaVA dict as a row (``image`` left as the path; embedding happens later)."""
    conv = d.get("conversations") or []
    extra = {k: v for k, v in d.items() if k not in _ROW_KEYS}
    turn_extra, turn_keys = {}, {}
    for i, t in enumerate(conv):
        if len(t) == 2 and next(iter(t)) == "from":
            continue  # the usual {"from", "value"}: nothing to keep
        more = {k: v for k, v in t.items() if k not in ("from", "value")}
        if more:
            turn_extra[str(i)] = more
        if list(t) != ["from", "value", *more]:
            turn_keys[str(i)] = list(t)
    layout: dict[str, Any] = {}
    if type(d["id"]) is int:
        layout["id"] = "int"
    if list(d) != _canonical_keys(d.get("image") is not None, extra, "meta" in d):
        layout["keys"] = list(d)
    if turn_keys:
        layout["turn_keys"] = turn_keys
    if turn_extra:
        extra["__turn_extra__"] = turn_extra
    if layout:
        extra["__layout__"] = layout
    return {
        "id": str(d["id"]),
        "image": d.get("image"),
        "conversations": [{"from": t["from"], "value": t["value"]} for t in conv],
        "extra": json.dumps(extra, ensure_ascii=False) if extra else None,
        "meta": json.dumps(d["meta"], ensure_ascii=False) if "meta" in d else None,
    }


def decode_row(row: dict[str, Any]) -> dict[str, Any]:
    """Inverse of `encode_row`: the LLaVA dict, same keys, same order, same id type."""
    extra = json.loads(row["extra"]) if row.get("extra") else {}
    layout = extra.pop("__layout__", {})
    turn_extra = extra.pop("__turn_extra__", {})
    image = row.get("image")
    if isinstance(image, dict):  # datasets.Image struct
        image = image.get("path")
    conv = []
    for i, t in enumerate(row.get("conversations") or []):
        turn = {"from": t["from"], "value": t["value"], **turn_extra.get(str(i), {})}
        order = layout.get("turn_keys", {}).get(str(i))
        conv.append({k: turn[k] for k in order} if order else turn)
    d: dict[str, Any] = {"id": int(row["id"]) if layout.get("id") == "int" else row["id"]}
    if image is not None or "image" in layout.get("keys", ()):
        d["image"] = image
    d["conversations"] = conv
    d.update(extra)
    if row.get("meta") is not None:
        d["meta"] = json.loads(row["meta"])
    for k, v in row.items():  # foreign columns (Parquet written elsewhere) pass through
        if k not in _COLUMNS:
            d[k] = v
    if "keys" in layout:
        d = {k: d[k] for k in layout["keys"]}
    return d


def _canonical_keys(has_image: bool, extra: dict, has_meta: bool) -> list[str]:
    return ["id", *(["image"] if has_image else []), "conversations", *extra, *(["meta"] if has_meta else [])]



def iter_parquet_dicts(path) -> Iterator[dict[str, Any]]:
    f = pq.ParquetFile(path)
    for batch in f.iter_batches(batch_size=BATCH):
        for row in batch.to_pylist():
            yield decode_row(row)


class ParquetRecordWriter:
    def __init__(self, path):
        self._writer = pq.ParquetWriter(str(path), SCHEMA)
        self._rows: list[dict[str, Any]] = []

    def write(self, d: dict[str, Any]) -> None:
        self._rows.append(encode_row(d))
        if len(self._rows) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=SCHEMA))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()
