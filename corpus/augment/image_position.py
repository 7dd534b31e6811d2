"""`image-position`: move `<image>` to the other edge of the first human turn.

LLaVA trains with the placeholder both before the question (``"<image>\\nQ"``)
and after it (``"Q\\n<image>"``); a corpus that only has one side teaches the
model a habit. One new record per source: the same conversation with the
placeholder on the other side. The English source turn kept by
``translate --keep-source`` moves with it, so it stays aligned.

Skip reasons: ``no_image`` (text-only record), ``placeholder_not_at_edge``
(no single ``<image>`` at the start or end of the first human turn: ``validate``
reports those).
"""
from __future__ import annotations

import random
from typing import Any

from corpus.augment.base import SOURCE_TURNS, Augmenter, join_image, split_image
from corpus.record import HUMAN, IMAGE_TOKEN, Record, Turn

OTHER = {"start": "end", "end": "start"}


def moved(value: str) -> tuple[str, str, str] | None:
    """(old side, new side, new value), or None when <image> is not alone at an edge."""
    if value.count(IMAGE_TOKEN) != 1:
        return None
    side, text = split_image(value)
    if not side or not text:
        return None
    return side, OTHER[side], join_image(OTHER[side], text)


class ImagePosition(Augmenter):
    name = "image-position"

    def propose(self, rec: Record, rng: random.Random):
        if not rec.has_image:
            return [], "no_image"
        first = rec.turns[0] if rec.turns else None
        m = moved(first.value) if first is not None and first.role == HUMAN else None
        if m is None:
            return [], "placeholder_not_at_edge"
        old, new, value = m
        turns = [Turn(t.role, t.value, dict(t.extra), t.keys) for t in rec.turns]
        turns[0].value = value
        return [(turns, {"from": old, "to": new})], None

    def adapt_extra(self, src: Record, extra: dict[str, Any], detail: dict) -> None:
        source = extra.get(SOURCE_TURNS)
        if not (isinstance(source, list) and source and isinstance(source[0], dict)):
            return
        m = moved(source[0].get("value", "")) if isinstance(source[0].get("value"), str) else None
        if m is None:
            extra.pop(SOURCE_TURNS, None)  # can't keep it aligned: drop rather than mislead
            return
        extra[SOURCE_TURNS] = [{**source[0], "value": m[2]}, *source[1:]]
