"""The rejects file: every record a stage drops, whole, with its reasons.

One JSON line per rejected record::

    {"id": ..., "stage": "langid", "reasons": ["lang_not_target"], "detail": "...", "record": {...}}

Bad input items that never became records are written too, with their position:
``"record"`` holds the object as parsed when it broke the schema, and is null for input
that did not parse or is not an object, so ``kept + rejected == input`` can always be checked.
The file is written atomically when the sink closes.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

from corpus.atomic import atomic_path
from corpus.io import Problem
from corpus.record import Record


class Rejects:
    """A sink for dropped records. `path=None` counts without writing."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = path
        self.count = 0
        self.by_reason: Counter = Counter()
        self._ctx = atomic_path(path) if path else None
        self._f = open(self._ctx.__enter__(), "w", encoding="utf-8") if self._ctx else None

    def add(self, record: Record, reasons: str | list[str], *, stage: str = "", detail: str = "") -> None:
        reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        self.count += 1
        self.by_reason[reasons[0]] += 1  # one count per record, by its first reason
        self._write({"id": record.id, "stage": stage, "reasons": reasons, "detail": detail,
                     "record": record.to_dict()})

    def add_problem(self, p: Problem, *, stage: str = "read") -> None:
        self.count += 1
        self.by_reason[p.rule] += 1
        self._write({"id": p.record_id, "stage": stage, "reasons": [p.rule], "detail": p.detail,
                     "position": f"{p.path}: {p.position}",
                     "record": p.raw if isinstance(p.raw, dict) else None})

    def _write(self, row: dict[str, Any]) -> None:
        if self._f:
            self._f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        if self._f:
            self._f.close()
            self._ctx.__exit__(None, None, None)
            self._f = None

    def abort(self, exc: BaseException) -> None:
        if self._f:
            self._f.close()
            try:
                self._ctx.__exit__(type(exc), exc, exc.__traceback__)
            except BaseException:
                pass
            self._f = None

    def __enter__(self) -> "Rejects":
        return self

    def __exit__(self, et, ev, tb) -> None:
        self.close() if et is None else self.abort(ev)
