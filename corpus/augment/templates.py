"""`templates`: re-sample fixed LLaVA instructions from native pt-BR banks, keeping the answer.

LLaVA's caption and description instructions come from short fixed lists, so a
translated corpus repeats the same few Portuguese sentences thousands of times.
This method recognises those instructions and swaps them for others of the
same kind, written natively in Portuguese (``corpus/data/instructions_ptbr.json``).

Recognition works on normalised text (case, accents, punctuation and spacing
ignored), in three forms: LLaVA's English lists, our Portuguese banks, and the
bundled engine's (Bergamot) translations of the English lists. It also reads
the English source turn kept by ``translate --keep-source``, so a template
translated by any engine is still found.

Two kinds of template:
- ``whole``: the whole first human turn is the instruction (detail / brief /
  one-sentence caption). Only single-exchange records qualify: in a longer
  conversation, "What is this?" is a real question, not a caption request.
- ``suffix``: one line appended to a question ("Answer the question using a
  single word or phrase."), in any human turn.

A match in Portuguese is replaced from the native pt bank; a match in English
text (an untranslated record) from the English list, so a record never mixes
languages.

Example:
    >>> bank().match("<image>\\nDescreva a imagem de forma concisa.")
    Match(category='brief', lang='pt', form='pt_bergamot')
"""
from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from corpus.augment.base import SOURCE_TURNS, Augmenter, join_image, split_image
from corpus.record import GPT, HUMAN, Record, Turn

_PUNCT = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")
_LAST_SENTENCE = re.compile(r"^(.*[.?!:])\s+(\S.*)$", re.S)


@lru_cache(maxsize=4096)  # the same few instructions come back thousands of times
def normalise(text: str) -> str:
    """Compare instructions by words only: no case, accents, punctuation or extra spaces."""
    t = text.replace("<image>", " ").lower()
    if not t.isascii():
        t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    return _SPACE.sub(" ", _PUNCT.sub(" ", t.replace("'", "").replace("’", ""))).strip()


@dataclass(frozen=True)
class Match:
    category: str
    lang: str  # "pt" or "en": which bank the replacement comes from
    form: str  # "en", "pt" or "pt_bergamot": which list recognised it


class Bank:
    """The instruction banks, indexed by normalised text."""

    def __init__(self, doc: dict):
        self.categories: dict[str, dict] = doc["categories"]
        self.index: dict[str, Match] = {}
        for cat, spec in self.categories.items():
            for form in ("en", "pt", "pt_bergamot"):
                lang = "en" if form == "en" else "pt"
                for text in spec.get(form, []):
                    key = normalise(text)
                    other = self.index.get(key)
                    if other and other.category != cat:
                        raise ValueError(f"instruction {text!r} is in both {other.category} and {cat}")
                    self.index.setdefault(key, Match(cat, lang, form))

    def kind(self, category: str) -> str:
        return self.categories[category]["kind"]

    def choices(self, category: str, lang: str) -> list[str]:
        return list(self.categories[category]["en" if lang == "en" else "pt"])

    def match(self, text: str) -> Match | None:
        return self.index.get(normalise(text))


@lru_cache(maxsize=1)
def bank() -> Bank:
    return Bank(json.loads(files("corpus").joinpath("data/instructions_ptbr.json").read_text(encoding="utf-8")))


@dataclass
class Slot:
    """One place in a record where a known instruction sits."""

    turn: int
    line: int | None  # None: the whole turn (kind "whole")
    tail: bool  # suffix glued after a question on the same line
    match: Match
    current: str  # the instruction as written in the record


def _source_turn(rec: Record, i: int) -> str | None:
    src = rec.extra.get(SOURCE_TURNS)
    if isinstance(src, list) and len(src) == len(rec.turns) and isinstance(src[i], dict):
        v = src[i].get("value")
        return v if isinstance(v, str) else None
    return None


def _suffix_in(b: Bank, text: str) -> tuple[Match, bool, str] | None:
    """(match, glued after a question on the same line?, the instruction's own text)."""
    m = b.match(text)
    if m and b.kind(m.category) == "suffix":
        return m, False, text
    tail = _LAST_SENTENCE.match(text)  # "What color is it? Answer ... phrase." on one line
    if tail:
        m = b.match(tail.group(2))
        if m and b.kind(m.category) == "suffix":
            return m, True, tail.group(2)
    return None


def find_slots(rec: Record, b: Bank | None = None) -> list[Slot]:
    """Where the record uses a known template, in text or (for translations) in its source."""
    b = b or bank()
    slots: list[Slot] = []
    single = len(rec.turns) == 2 and rec.turns[0].role == HUMAN and rec.turns[1].role == GPT
    for i, t in enumerate(rec.turns):
        if t.role != HUMAN:
            continue
        _, text = split_image(t.value)
        source = _source_turn(rec, i)
        if i == 0 and single:
            m = b.match(text)
            if m is None and source is not None:
                sm = b.match(source)
                m = Match(sm.category, "pt", "source") if sm else None
            if m and b.kind(m.category) == "whole":
                slots.append(Slot(i, None, False, m, text))
                continue
        lines = text.split("\n")
        src_lines = source.replace("<image>", "").strip().split("\n") if source else None
        for j, line in enumerate(lines):
            found = _suffix_in(b, line)
            if found is None and src_lines and len(src_lines) == len(lines):
                sf = _suffix_in(b, src_lines[j])
                if sf:  # the translated line is the instruction; on a shared line, its last sentence
                    tail = _LAST_SENTENCE.match(line) if sf[1] else None
                    found = (Match(sf[0].category, "pt", "source"), sf[1] and bool(tail),
                             tail.group(2) if tail else line)
            if found:
                slots.append(Slot(i, j, found[1], found[0], found[2]))
    return slots


def _replace_tail(line: str, new: str) -> str:
    head = _LAST_SENTENCE.match(line)
    return f"{head.group(1)} {new}" if head else new


class Templates(Augmenter):
    """Swap recognised template instructions for others of the same kind."""

    name = "templates"

    def propose(self, rec: Record, rng: random.Random):
        b = bank()
        slots = find_slots(rec, b)
        if not slots:
            return [], "no_template"
        options = [[c for c in b.choices(s.match.category, s.match.lang) if normalise(c) != normalise(s.current)]
                   for s in slots]
        # Enough distinct draws for per_record after duplicates; bounded so huge K stays cheap.
        want = self.per_record or 1
        proposals, seen = [], set()
        for _ in range(want * 4):
            picks = tuple(rng.choice(opts) for opts in options)
            if picks in seen:
                continue
            seen.add(picks)
            proposals.append(self._apply(rec, slots, picks))
            if len(proposals) >= want:
                break
        return proposals, None

    def _apply(self, rec: Record, slots: list[Slot], picks: tuple[str, ...]):
        turns = [Turn(t.role, t.value, dict(t.extra), t.keys) for t in rec.turns]
        changes = []
        for s, new in zip(slots, picks):
            side, text = split_image(turns[s.turn].value)
            if s.line is None:
                text = new
            else:
                lines = text.split("\n")
                lines[s.line] = _replace_tail(lines[s.line], new) if s.tail else new
                text = "\n".join(lines)
            turns[s.turn].value = join_image(side, text)
            changes.append({"turn": s.turn, "category": s.match.category, "matched": s.match.form,
                            "old": s.current, "new": new})
        return turns, {"changes": changes}
