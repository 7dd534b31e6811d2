"""Checks on every translated turn: what a translation must keep from its source.

Reason codes (stable): ``placeholder_missing`` / ``placeholder_duplicated`` /
``placeholder_extra`` (a mask token lost, repeated or invented: found while
reassembling), ``placeholder_moved`` (``<image>`` no longer starts/ends the
turn), ``placeholder_mangled`` (``<imagem>`` and friends appeared),
``layout_changed`` (a different number of newlines), ``numbers_changed`` (a
number of the source is missing from the target), ``segment_failed`` (the
engine gave nothing usable).

Example:
    >>> turn_problems("There are 4 chairs.\\nYes.", "Há cadeiras.\\nSim.")
    [('numbers_changed', 'missing 4')]
"""
from __future__ import annotations

import re
from collections import Counter

from corpus.placeholder_rules import mangled_placeholders
from corpus.record import IMAGE_TOKEN

_NUMBER = re.compile(r"\d+")


def _edges(text: str) -> tuple[bool, bool]:
    s = text.strip()
    return s.startswith(IMAGE_TOKEN), s.endswith(IMAGE_TOKEN)


def turn_problems(source: str, target: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if source.count(IMAGE_TOKEN) != target.count(IMAGE_TOKEN):
        out.append(("placeholder_missing", f"<image> x{source.count(IMAGE_TOKEN)} became x{target.count(IMAGE_TOKEN)}"))
    elif _edges(source) != _edges(target):
        out.append(("placeholder_moved", "<image> left the start/end of the turn"))
    if "imag" in target.lower() and not mangled_placeholders(source):
        bad = mangled_placeholders(target)
        if bad:
            out.append(("placeholder_mangled", f"{bad[0]!r} appeared"))
    ns, nt = source.count("\n"), target.count("\n")
    if ns != nt:
        out.append(("layout_changed", f"{ns} newlines became {nt}"))
    missing = Counter(_NUMBER.findall(source)) - Counter(_NUMBER.findall(target))
    if missing:
        out.append(("numbers_changed", "missing " + ", ".join(sorted(missing, key=lambda x: (len(x), x))[:5])))
    return out
