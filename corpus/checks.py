"""Translation-quality checks, Portuguese-aware. Each returns None or (reason, detail).

Reasons: empty_answer, too_short, length_ratio, repetition, mojibake,
numbers_changed, placeholder_* (from corpus.placeholder_rules),
too_long_for_training. The `duplicate` check keeps state, so it lives in
corpus.filters.Duplicates. Checks that compare with the source need the
record extra ``"source_conversations"`` written by ``translate --keep-source``;
without it they pass.

Example:
    >>> rec = Record("1", [Turn("human", "<image>\\nO que é?"), Turn("gpt", "")], "a.jpg")
    >>> empty_answer(rec)
    ('empty_answer', 'turn 1 (gpt) is empty')
"""
from __future__ import annotations

import operator
import re

from corpus.placeholder_rules import placeholder_findings
from corpus.record import GPT, IMAGE_TOKEN, Record, Turn  # noqa: F401  (Turn: doctest)

Check = tuple[str, str] | None

# A LLaVA-1.5 image becomes 576 tokens (24x24 CLIP ViT-L/14-336 patches) in the
# language model's context, on top of the text.
IMAGE_TOKENS = 576


_VALUE = operator.itemgetter("value")


def source_turns(rec: Record) -> list[str] | None:
    """Source texts aligned by index with rec.turns, or None when not kept."""
    src = rec.extra.get("source_conversations")
    if not isinstance(src, list) or len(src) != len(rec.turns):
        return None
    try:  # every turn a dict with a "value", as translate writes them: looked up in C, ~2x faster
        return list(map(_VALUE, src))
    except (KeyError, TypeError):
        return [t.get("value", "") if isinstance(t, dict) else "" for t in src]


def _text(value: str) -> str:
    return value.replace(IMAGE_TOKEN, "").strip()


def empty_answer(rec: Record) -> Check:
    for i, t in enumerate(rec.turns):
        if t.role == GPT and not _text(t.value):
            return "empty_answer", f"turn {i} (gpt) is empty"
    if not any(t.role == GPT for t in rec.turns):
        return "empty_answer", "record has no gpt turn"
    return None


def too_short(rec: Record, min_chars: int = 1) -> Check:
    """The answers together have fewer than `min_chars` letters or digits."""
    n = sum(sum(ch.isalnum() for ch in _text(t.value)) for t in rec.turns if t.role == GPT)
    return ("too_short", f"answers have {n} letters/digits (< {min_chars})") if n < min_chars else None


def length_ratio(rec: Record, low: float = 0.5, high: float = 2.0, min_source_chars: int = 20) -> Check:
    """Target/source length per turn outside [low, high]: truncated or padded translation."""
    src = source_turns(rec)
    if src is None:
        return None
    for i, (t, s) in enumerate(zip(rec.turns, src)):
        ns = len(_text(s))
        if ns < min_source_chars:
            continue  # "Yes." -> "Sim." says nothing about truncation
        r = len(_text(t.value)) / ns
        if not low <= r <= high:
            return "length_ratio", f"turn {i}: target/source = {r:.2f} (allowed {low}-{high})"
    return None


_WORDS = re.compile(r"\w+")


def repeated_ngram_ratio(text: str, n: int = 3) -> tuple[float, int]:
    """(share of word n-grams that repeat an earlier one, number of n-grams)."""
    words = _WORDS.findall(text.lower())
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0.0, 0
    return 1.0 - len(set(grams)) / len(grams), len(grams)


def repetition(rec: Record, max_ratio: float = 0.4, n: int = 3, min_ngrams: int = 10,
               source_margin: float = 0.1) -> Check:
    """A decoder loop: too many repeated word n-grams in one turn ("em cima de uma caixa, em cima de...").

    When the source is kept, repetition the source already had is not the
    translation's fault ("persona persona persona..." captions exist in
    LLaVA-Pretrain): the turn must also repeat more than its source + `source_margin`.
    """
    src = source_turns(rec)
    for i, t in enumerate(rec.turns):
        ratio, count = repeated_ngram_ratio(t.value, n)
        if count >= min_ngrams and ratio > max_ratio:
            if src is not None and ratio <= repeated_ngram_ratio(src[i], n)[0] + source_margin:
                continue
            return "repetition", f"turn {i}: {ratio:.0%} of its {count} word {n}-grams are repeats"
    return None


# UTF-8 read as Latin-1/cp1252: "Ã£" (ã), "Ã§" (ç), "Ã©" (é), "â€œ" (“), "Â " ... and U+FFFD.
# The second character is a continuation byte shown as Latin-1/cp1252; a plain space
# is left out so uppercase Portuguese ("IRMÃ E") is not flagged.
_MOJIBAKE = re.compile("[ÃÂ][\u00a0-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
                       "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
                       "|â€|\ufffd")


def mojibake(rec: Record) -> Check:
    for i, t in enumerate(rec.turns):
        m = _MOJIBAKE.search(t.value)
        if m:
            return "mojibake", f"turn {i}: {t.value[max(0, m.start() - 12):m.end() + 12]!r}"
    return None


# Numbers with their separators; "1,000" and "1.000" both become "1000", "0.78" and
# "0,78" both "078": the two languages swap decimal and thousands marks.
_NUMBER = re.compile(r"\d+(?:[.,\u00a0]\d{3})*(?:[.,]\d+)?")
# Legitimate rewrites that are not changed numbers (measured on NTREX with Bergamot,
# they were most of the mismatches): ordinals lose their suffix ("25th" = "25º" = "25");
# "século XIX" is 19; "350 mil" is 350000; clock times become 24-hour on both sides
# ("3 p.m." = "15h" = "15:00" -> "15"; "4.40 am" = "4h40" -> "440").
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th|º|ª)(?=\W|$)", re.IGNORECASE)
_CENTURY = re.compile(r"\b(séculos?) ([IVXL]+)\b")
_THOUSAND = re.compile(r"\b(\d+)(?:[.,](\d{1,2}))? mil\b")
_TIME_12H = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s?m\b\.?", re.IGNORECASE)
_TIME_24H = re.compile(r"\b(\d{1,2})(?:[:h](\d{2})\b|h\b)")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}


def _roman(s: str) -> int:
    vals = [_ROMAN[c] for c in s]
    return sum(-v if i + 1 < len(vals) and v < vals[i + 1] else v for i, v in enumerate(vals))


def _clock(hour: int, minutes: str | None) -> str:
    return f" {hour}{minutes if minutes and minutes != '00' else ''} "


def numbers_of(text: str) -> set[str]:
    """The numbers of a text, normalised so that en and pt spellings compare equal."""
    text = _ORDINAL.sub(r"\1", text)
    text = _CENTURY.sub(lambda m: f"{m.group(1)} {_roman(m.group(2))}", text)
    text = _THOUSAND.sub(lambda m: str(int(m.group(1)) * 1000 + int((m.group(2) or "0").ljust(3, "0"))), text)
    text = _TIME_12H.sub(lambda m: _clock(int(m.group(1)) % 12 + 12 * (m.group(3).lower() == "p"), m.group(2)), text)
    text = _TIME_24H.sub(lambda m: _clock(int(m.group(1)), m.group(2)), text)
    return {re.sub(r"\D", "", m.group(0)).lstrip("0") or "0" for m in _NUMBER.finditer(text)}


def numbers_changed(rec: Record) -> Check:
    """A number of the source is missing from the translation, or a new one appeared."""
    src = source_turns(rec)
    if src is None:
        return None
    for i, (t, s) in enumerate(zip(rec.turns, src)):
        a, b = numbers_of(s), numbers_of(t.value)
        if a == b:
            continue
        parts = []
        if a - b:
            parts.append("missing " + ", ".join(sorted(a - b)))
        if b - a:
            parts.append("new " + ", ".join(sorted(b - a)))
        return "numbers_changed", f"turn {i}: {'; '.join(parts)}"
    return None


def placeholders(rec: Record) -> Check:
    """The validator's <image> rules: placeholder_missing/extra/position/mangled."""
    found = placeholder_findings(rec)
    return found[0] if found else None


def estimate_tokens(rec: Record, chars_per_token: float = 3.0, per_turn: int = 4,
                    image_tokens: int = IMAGE_TOKENS) -> int:
    """Conservative token count for training: text at `chars_per_token`, role tags, the image."""
    chars = sum(len(_text(t.value)) for t in rec.turns)
    return int(chars / chars_per_token) + per_turn * len(rec.turns) + (image_tokens if rec.has_image else 0)


def too_long_for_training(rec: Record, max_tokens: int = 2048, chars_per_token: float = 3.0) -> Check:
    n = estimate_tokens(rec, chars_per_token)
    if n > max_tokens:
        img = f" incl. {IMAGE_TOKENS} for the image" if rec.has_image else ""
        return "too_long_for_training", f"~{n} tokens{img} > {max_tokens}"
    return None
