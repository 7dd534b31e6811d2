"""Stages and filters.

A stage is any callable ``Iterable[Record] -> Iterator[Record]``. A filter is a
stage built from one method, ``check(record)``, that returns ``None`` to keep
the record or a reason code (``"lang_not_target"``), optionally with a detail:
``("numbers_changed", "12 missing")``. The base class counts kept and dropped
records and hands the dropped ones to the rejects sink, so nothing is lost.

Example:
    class NotEmpty(Filter):
        name = "not_empty"
        def check(self, rec):
            return None if rec.turns else "empty_record"
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Iterable, Iterator

from corpus.record import Record
from corpus.rejects import Rejects

Stage = Callable[[Iterable[Record]], Iterator[Record]]
Verdict = None | str | tuple[str, str]


class Filter:
    name = "filter"

    def __init__(self, rejects: Rejects | None = None):
        self.rejects = rejects if rejects is not None else Rejects(None)
        self.kept = 0
        self.dropped: Counter = Counter()

    def check(self, record: Record) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        for rec in records:
            verdict = self.check(rec)
            if verdict is None:
                self.kept += 1
                yield rec
                continue
            reason, detail = (verdict, "") if isinstance(verdict, str) else verdict
            self.dropped[reason] += 1
            rec.meta.setdefault("reasons", []).append(reason)
            self.rejects.add(rec, reason, stage=self.name, detail=detail)

    def stats(self) -> dict[str, Any]:
        return {"stage": self.name, "kept": self.kept, "dropped": sum(self.dropped.values()),
                "by_reason": dict(self.dropped)}


def chain(records: Iterable[Record], stages: Iterable[Stage]) -> Iterator[Record]:
    """Feed records through stages in order, lazily."""
    it: Iterable[Record] = records
    for stage in stages:
        it = stage(it)
    return iter(it)
