"""Translate records: the stage, the file runner and a helper for plain strings.

Records are taken in chunks (about 2,000 segments each): every turn of the
chosen roles is planned (masked + segmented), the chunk's unique segments are
looked up in the translation memory, the misses go to the engine through a
thread pool (committed to the memory as they arrive), then each record is
reassembled and post-checked. Memory stays bounded by the chunk, and the
output order is the input order.

Example:
    stage = TranslateStage("bergamot", workers=2, cache="tm.sqlite")
    for rec in stage(read_records("detail_23k.json")): ...
    stage.stats()
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from corpus.errors import BadRecord, EngineFailed, UsageError
from corpus.record import GPT, HUMAN, Record
from corpus.rejects import Rejects
from corpus.translate.engine import get_engine
from corpus.translate.memory import Memory
from corpus.translate.plan import Plan, plan
from corpus.translate.pool import Pool
from corpus.translate.postcheck import turn_problems

ON_ERROR = ("reject", "keep-source", "fail")
CHUNK_SEGMENTS = 2000


def open_memory(cache, engine, source: str, target: str) -> Memory:
    """`cache`: a Memory, a path, None (the default file) or False (in-process only)."""
    if isinstance(cache, Memory):
        return cache
    path = ":memory:" if cache is False else cache
    return Memory(path, engine=engine.name, version=engine.version, source=source, target=target)


class TranslateStage:
    """A stage (Iterable[Record] -> Iterator[Record]) that translates the turns of `roles`."""

    name = "translate"

    def __init__(self, engine: Any = "bergamot", source: str = "en", target: str = "pt-BR", workers: int = 2,
                 cache: Any = None, roles: Iterable[str] = ("human", "gpt"), keep_source: bool = False,
                 on_error: str = "reject", rejects: Rejects | None = None, *,
                 progress: Callable[[str, float], None] | None = None, input_name: str = "",
                 **engine_options: Any):
        if on_error not in ON_ERROR:
            raise UsageError(f"--on-error must be one of {', '.join(ON_ERROR)}, got {on_error!r}")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise UsageError(f"translate.workers must be a whole number >= 1, got {workers!r}")
        if isinstance(roles, str) or not roles or not set(roles) <= {HUMAN, GPT}:
            # the schema's roles; "foo" would translate nothing and report success
            raise UsageError(f"translate.roles must be a non-empty list of turn roles (human, gpt), got {roles!r}")
        self.engine = get_engine(engine, source, target, **engine_options) if isinstance(engine, str) else engine
        self.source, self.target = source, target
        self.roles = tuple(roles)
        self.keep_source, self.on_error = keep_source, on_error
        self.rejects = rejects if rejects is not None else Rejects(None)
        self.memory = open_memory(cache, self.engine, source, target)
        self.pool = Pool(self.engine, self.memory, workers, fail_fast=on_error == "fail")
        self.progress = progress or (lambda kind, n: None)
        self.input_name = input_name
        self._counters0 = dict(getattr(self.engine, "counters", {}) or {})
        self._seen: set[bytes] = set()
        self.n = dict(records_in=0, records_out=0, kept_source=0, turns=0, segments_total=0,
                      segments_unique=0, memory_hits=0)

    # -- the stage --
    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        chunk: list[tuple[Record, list[tuple[int, Plan]]]] = []
        size = 0
        for rec in records:
            self.n["records_in"] += 1
            plans = [(i, plan(t.value, self.engine.max_chars)) for i, t in enumerate(rec.turns)
                     if t.role in self.roles]
            chunk.append((rec, plans))
            size += sum(len(p.units) for _, p in plans)
            if size >= CHUNK_SEGMENTS:
                yield from self._chunk(chunk)
                chunk, size = [], 0
        if chunk:
            yield from self._chunk(chunk)

    def _chunk(self, chunk: list[tuple[Record, list[tuple[int, Plan]]]]) -> Iterator[Record]:
        need: dict[str, None] = {}  # ordered set: first-seen order keeps runs deterministic
        for _, plans in chunk:
            for _, p in plans:
                self.n["turns"] += 1
                for u in p.units:
                    self.n["segments_total"] += 1
                    need[u] = None
        found: dict[str, str] = {}
        for u in need:
            key = self.memory.key(u)
            first = key not in self._seen
            if first:
                self._seen.add(key)
                self.n["segments_unique"] += 1
            if u in self.pool.failed:
                continue
            tr = self.memory.get(u)
            if tr is not None:
                found[u] = tr
                self.n["memory_hits"] += first
        misses = [u for u in need if u not in found and u not in self.pool.failed]
        if misses:
            per = len(chunk) / len(misses)  # progress in records, advanced smoothly by segments
            found.update(self.pool.run(misses, on_done=lambda k: self.progress("segments", k * per)))
        else:
            self.progress("segments", len(chunk))
        for rec, plans in chunk:
            out = self._finish(rec, plans, found)
            self.progress("records", 1)
            if out is not None:
                yield out

    def _finish(self, rec: Record, plans: list[tuple[int, Plan]], found: dict[str, str]) -> Record | None:
        values: dict[int, str] = {}
        problems: list[tuple[int, str, str]] = []
        for i, p in plans:
            text, probs = p.assemble(found, self.pool.failed)
            probs = probs or turn_problems(p.source, text)
            problems += [(i, r, d) for r, d in probs]
            values[i] = text
        out = rec.copy()
        if problems:
            reasons = list(dict.fromkeys(r for _, r, _ in problems))
            detail = "; ".join(f"turn {i}: {r}: {d}" for i, r, d in problems[:5])
            if self.on_error == "fail":
                if reasons[0] == "segment_failed":
                    raise EngineFailed(f"{self.input_name or 'input'}: record {rec.id!r}: {detail}")
                raise BadRecord(self.input_name or "input", rec.id, reasons[0], detail)
            if self.on_error == "reject":
                rec.meta.setdefault("reasons", []).extend(reasons)
                self.rejects.add(rec, reasons, stage=self.name, detail=detail)
                return None
            bad = sorted({i for i, _, _ in problems})
            for i in bad:
                values[i] = rec.turns[i].value  # keep-source: flagged, never passed off as translated
            out.meta["untranslated_turns"] = bad
            out.meta["translate_problems"] = reasons
            self.n["kept_source"] += 1
        for i, v in values.items():
            out.turns[i].value = v
        if self.keep_source:
            out.extra["source_conversations"] = [{"from": t.role, "value": t.value} for t in rec.turns]
        out.meta.update(source_lang=self.source, target_lang=self.target, engine=self.engine.name,
                        engine_version=self.engine.version)
        self.n["records_out"] += 1
        return out

    def stats(self) -> dict[str, Any]:
        c = getattr(self.engine, "counters", {}) or {}
        calls = c.get("calls", 0) - self._counters0.get("calls", 0) if "calls" in c else self.pool.sent
        return {
            **self.n,
            "rejected": self.rejects.count,
            "rejected_by_reason": dict(self.rejects.by_reason),
            "segments_translated": self.pool.translated,
            "segments_failed": len(self.pool.failed),
            "engine_calls": calls,
            "engine_batches": self.pool.batches,
            "retries": c.get("retries", 0) - self._counters0.get("retries", 0),
            "token_fallbacks": self.pool.fallbacks,
            "engine": self.engine.name,
            "engine_version": self.engine.version,
            "workers": self.pool.workers,
        }


def translate_texts(texts: list[str], engine: Any, memory: Any = None, workers: int = 1, *,
                    source: str = "en", target: str = "pt-BR",
                    problems: list | None = None) -> list[str]:
    """Mask, segment, look up, translate and restore plain strings (e.g. back-translation).

    `engine` is an Engine or a name; `memory` a Memory, a path or None (no file).
    A segment the engine cannot translate raises EngineFailed. Other problems
    (a lost token, a changed number) are appended to `problems` as
    ``(index, reason, detail)`` when a list is given; the text is still returned.
    """
    eng = get_engine(engine, source, target) if isinstance(engine, str) else engine
    tm = open_memory(memory if memory is not None else False, eng, source, target)
    plans = [plan(t, eng.max_chars) for t in texts]
    need = list(dict.fromkeys(u for p in plans for u in p.units))
    found = {u: tr for u in need if (tr := tm.get(u)) is not None}
    pool = Pool(eng, tm, workers)
    found.update(pool.run([u for u in need if u not in found]))
    if pool.failed:
        src, error = next(iter(pool.failed.items()))
        raise EngineFailed(f"{eng.name} failed on {src[:60]!r}: {error}")
    out = []
    for i, p in enumerate(plans):
        text, probs = p.assemble(found, pool.failed)
        for r, d in probs or turn_problems(p.source, text):
            if problems is not None:
                problems.append((i, r, d))
        out.append(text)
    return out


def default_output(input: str | os.PathLike, target: str, shard: tuple[int, int] | None = None) -> Path:
    """detail_23k.json -> detail_23k.pt-BR.json (detail_23k.pt-BR.shard-1-of-4.json with a shard)."""
    p = Path(input)
    tag = f".shard-{shard[0]}-of-{shard[1]}" if shard else ""
    return p.with_name(f"{p.stem}.{target}{tag}{p.suffix}")


from corpus.translate.runfile import translate_file  # noqa: E402,F401  (public entry point lives here)
