"""Parquet layout for records, with Arrow-safe types.

Arrow rejects mixed types across rows, so: ``id`` is always a string,
``image`` a nullable string, ``conversations`` a ``list<struct<from, value>>``.
Unknown top-level keys go, JSON-encoded, into an ``extra`` string column, and
``meta`` into a ``meta`` string column, so nothing is lost.
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


def to_row(d: dict[str, Any]) -> dict[str, Any]:
    """A LLaVA dict as an Arrow-safe row."""
    extra = {k: v for k, v in d.items() if k not in ("id", "image", "conversations", "meta")}
    for i, t in enumerate(d.get("conversations", [])):
        if len(t) > 2:  # turn-level extras: keep them, keyed by turn index
            extra.setdefault("__turn_extra__", {})[str(i)] = {
                k: v for k, v in t.items() if k not in ("from", "value")}
    return {
        "id": str(d["id"]),
        "image": d.get("image"),
        "conversations": [{"from": t["from"], "value": t["value"]} for t in d.get("conversations", [])],
        "extra": json.dumps(extra, ensure_ascii=False) if extra else None,
        "meta": json.dumps(d["meta"], ensure_ascii=False) if d.get("meta") else None,
    }


def from_row(row: dict[str, Any]) -> dict[str, Any]:
    """Inverse of `to_row`; also accepts Hub-style Parquet (image as {bytes, path})."""
    d: dict[str, Any] = {"id": row.get("id")}
    image = row.get("image")
    if isinstance(image, dict):  # datasets.Image feature
        image = image.get("path")
    if image is not None:
        d["image"] = image
    d["conversations"] = [dict(t) for t in row.get("conversations") or []]
    extra = row.get("extra")
    if isinstance(extra, str):
        extra = json.loads(extra)
        for idx, te in extra.pop("__turn_extra__", {}).items():
            d["conversations"][int(idx)].update(te)
        d.update(extra)
    for k, v in row.items():  # foreign columns pass through
        if k not in ("id", "image", "conversations", "extra", "meta"):
            d[k] = v
    meta = row.get("meta")
    if isinstance(meta, str):
        d["meta"] = json.loads(meta)
    elif isinstance(meta, dict):
        d["meta"] = meta
    return d


def iter_parquet_dicts(path) -> Iterator[dict[str, Any]]:
    f = pq.ParquetFile(path)
    for batch in f.iter_batches(batch_size=BATCH):
        for row in batch.to_pylist():
            yield from_row(row)


class ParquetRecordWriter:
    def __init__(self, path):
        self._writer = pq.ParquetWriter(str(path), SCHEMA)
        self._rows: list[dict[str, Any]] = []

    def write(self, d: dict[str, Any]) -> None:
        self._rows.append(to_row(d))
        if len(self._rows) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=SCHEMA))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()
