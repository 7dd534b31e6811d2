"""`split-turns`: cut long conversations into shorter ones over the same image.

A LLaVA-Instruct conversation has 4-5 question/answer exchanges about one
image. Shorter pieces give the model more first turns to learn from and fit
shorter context windows. Each piece keeps one ``<image>``, in its first human
turn, on the same side as in the source.

Parameters:
- ``pairs`` (default 2): exchanges per piece. Records with no more than
  ``pairs`` exchanges are skipped (``too_short``).
- ``subsample`` (default 0): when > 0, draw that many random sets of ``pairs``
  exchanges (kept in their original order) instead of cutting consecutive
  pieces; an exchange can then appear in several pieces, never twice in one.

Later questions may lean on earlier answers ("Is he holding anything?"); the
image is still there to answer them, which is why LLaVA-style data tolerates it.

Skip reasons: ``too_short``, ``not_paired`` (roles do not alternate
human/gpt), ``placeholder_not_at_edge``.
"""
from __future__ import annotations

import random
from typing import Any

from corpus.augment.base import SOURCE_TURNS, Augmenter, join_image, split_image
from corpus.record import GPT, HUMAN, IMAGE_TOKEN, Record, Turn


def _paired(rec: Record) -> bool:
    t = rec.turns
    return len(t) % 2 == 0 and all(x.role == (HUMAN if i % 2 == 0 else GPT) for i, x in enumerate(t))


class SplitTurns(Augmenter):
    name = "split-turns"
    default_per_record = None  # every piece of the split

    def __init__(self, seed: int = 0, per_record: int | None = None, pairs: int = 2, subsample: int = 0):
        pairs, subsample = int(pairs), int(subsample)
        if pairs < 1 or subsample < 0:
            raise ValueError("split-turns needs pairs >= 1 and subsample >= 0")
        super().__init__(seed, per_record, pairs=pairs, subsample=subsample)
        self.pairs, self.subsample = pairs, subsample

    def _pieces(self, n: int, rng: random.Random) -> list[list[int]]:
        if not self.subsample:
            return [list(range(i, min(i + self.pairs, n))) for i in range(0, n, self.pairs)]
        pieces: list[list[int]] = []
        for _ in range(self.subsample * 4):  # a few extra draws to make up for repeats
            p = sorted(rng.sample(range(n), self.pairs))
            if p not in pieces:
                pieces.append(p)
            if len(pieces) >= self.subsample:
                break
        return pieces

    def propose(self, rec: Record, rng: random.Random):
        if not _paired(rec):
            return [], "not_paired"
        n = len(rec.turns) // 2
        if n <= self.pairs:
            return [], "too_short"
        side = ""
        if rec.has_image:
            side, _ = split_image(rec.turns[0].value)
            if not side or rec.turns[0].value.count(IMAGE_TOKEN) != 1:
                return [], "placeholder_not_at_edge"
        proposals = []
        for piece in self._pieces(n, rng):
            turns = []
            for j, ex in enumerate(piece):
                for t in rec.turns[2 * ex: 2 * ex + 2]:
                    turns.append(Turn(t.role, t.value, dict(t.extra), t.keys))
            if side:
                turns[0].value = join_image(side, split_image(turns[0].value)[1])
            proposals.append((turns, {"exchanges": piece, "of": n, "image_side": side or None}))
        return proposals, None

    def adapt_extra(self, src: Record, extra: dict[str, Any], detail: dict) -> None:
        source = extra.get(SOURCE_TURNS)
        if not (isinstance(source, list) and len(source) == len(src.turns)
                and all(isinstance(s, dict) and isinstance(s.get("value"), str) for s in source)):
            extra.pop(SOURCE_TURNS, None)
            return
        sliced = [dict(s) for ex in detail["exchanges"] for s in source[2 * ex: 2 * ex + 2]]
        side, _ = split_image(source[0]["value"])
        if side:  # the source's <image> follows the piece's first question too
            sliced[0]["value"] = join_image(side, split_image(sliced[0]["value"])[1])
        extra[SOURCE_TURNS] = sliced
