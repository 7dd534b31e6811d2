"""Split a masked turn into layout to keep and sentences to translate.

Engines flatten newlines, drop list markers and silently truncate long inputs,
so they only ever see single sentences. Everything else is kept verbatim:
newlines and blank lines, indentation, list markers (``1.``, ``-``, ``*``, ``A.``), a
line-leading em dash (``—Homer, The Iliad``: Bergamot dropped it),
the spaces between sentences, tokens that start or end a sentence, and pieces
with no word to translate ("B", "?", "1, 2"). Joining the pieces gives back the
input exactly. A sentence longer than ``max_chars`` is split at clause
boundaries (then at spaces): never truncated.

Example:
    >>> [p.text for p in segment("1. A cat. A dog!\\n- [1] Red.", max_chars=300) if p.translate]
    ['A cat.', 'A dog!', 'Red.']
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from corpus.placeholders import SEPARATOR_KINDS, TOKEN

_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_LEAD = re.compile(
    r"[ \t\r\f\v\u00a0]*(?:(?:\d{1,3}[.)]|[A-Za-z][.)]|[-*+•–]|#{1,6}|>)[ \t]+|[—―][ \t]*)?(?:\*\*)?"
)
_TRAIL = re.compile(r"(?:\*\*)?[ \t\r\f\v\u00a0]*\Z")
# A sentence ends at . ! ? … (plus closing quotes/brackets) followed by space.
_SENT_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*[ \t\u00a0]+(?=\S)")
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|vs|etc|approx|No|Fig|e\.g|i\.e|a\.m|p\.m|U\.S|Inc|Ltd|Co|Mt|cf)\.|\b[A-Z]\.)$"
)
_EDGE_TOKENS_L = re.compile(r"\A(?:\[\d+\][ \t]*)*")
_EDGE_TOKENS_R = re.compile(r"(?:[ \t]*\[\d+\])+\Z")
_WORD = re.compile(r"[^\W\d_]{2,}")
# Where to cut a too-long sentence, best first.
_CUTS = [re.compile(p) for p in (r"(?<=[;:])\s+", r"(?<=,)\s+(?=(?:and|but|or|which|while|where|who|so)\b)",
                                   r"(?<=,)\s+", r"\s+(?=(?:and|but|while|because|which|where)\b)", r"\s+")]


@dataclass(frozen=True)
class Piece:
    text: str
    translate: bool  # False: layout, kept as is


def has_words(text: str) -> bool:
    return bool(_WORD.search(TOKEN.sub(" ", text)))


def _sentences(text: str) -> list[str]:
    """Split one line's body into sentences, keeping the spaces between them as pieces."""
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        if _ABBREV.search(text[start:m.start()]):
            continue
        out += [text[start:m.start()], text[m.start():m.end()]]
        start = m.end()
    out.append(text[start:])
    return out


def split_long(text: str, max_chars: int) -> list[str]:
    """Cut `text` into parts of at most `max_chars` at the best boundary; separators are parts too.

    ``"".join(split_long(t, n)) == t``. A single word longer than `max_chars` stays whole.
    """
    if len(text) <= max_chars:
        return [text]
    for cut in _CUTS:
        best = None
        for m in cut.finditer(text):
            if 0 < m.start() <= max_chars:
                best = m
            elif m.start() > max_chars:
                break
        if best is None and cut.pattern != r"\s+":
            continue
        if best is None:  # no whitespace early enough: cut at the first one
            best = re.compile(r"\s+").search(text)
            if best is None:
                return [text]
        head, sep, rest = text[:best.start()], text[best.start():best.end()], text[best.end():]
        return [head, sep, *split_long(rest, max_chars)] if head else [sep, *split_long(rest, max_chars)]
    return [text]


def _split_at_separators(body: str, kinds: list[str] | None) -> list[str]:
    """Cut a line body at separator tokens (tags, labels, code blocks): they are not sentence words."""
    if not kinds:
        return [body]
    parts: list[str] = []
    last = 0
    for m in TOKEN.finditer(body):
        n = int(m.group(1))
        if 1 <= n <= len(kinds) and kinds[n - 1] in SEPARATOR_KINDS:
            parts += [body[last:m.start()], m.group(0)]
            last = m.end()
    parts.append(body[last:])
    return parts


def segment(text: str, max_chars: int = 300, kinds: list[str] | None = None) -> list[Piece]:
    """Pieces of a masked text; `kinds` (from `Masked.kinds`) marks separator tokens."""
    pieces: list[Piece] = []

    def keep(s: str) -> None:
        if s:
            pieces.append(Piece(s, False))

    for line in _LINE.findall(text):
        nl = len(line) - len(line.rstrip("\r\n"))
        body, eol = line[:len(line) - nl], line[len(line) - nl:]
        lead = _LEAD.match(body).group(0)
        trail = _TRAIL.search(body, len(lead)).group(0)
        keep(lead)
        core = body[len(lead):len(body) - len(trail)]
        for part in _split_at_separators(core, kinds):
            for i, sent in enumerate(_sentences(part)):
                if i % 2 == 1 or not has_words(sent):  # odd parts are the spaces between sentences
                    keep(sent)
                    continue
                left = _EDGE_TOKENS_L.match(sent).group(0)
                right_m = _EDGE_TOKENS_R.search(sent, len(left))
                right = right_m.group(0) if right_m else ""
                keep(left)
                mid = sent[len(left):len(sent) - len(right)]
                if not has_words(mid):
                    keep(mid)
                else:
                    # Leading/trailing spaces of `mid` stay layout too.
                    ml = len(mid) - len(mid.lstrip())
                    mr = len(mid.rstrip())
                    keep(mid[:ml])
                    for j, chunk in enumerate(split_long(mid[ml:mr], max_chars)):
                        if has_words(chunk) and not chunk.isspace():
                            pieces.append(Piece(chunk, True))
                        else:
                            keep(chunk)
                    keep(mid[mr:])
                keep(right)
        keep(trail)
        keep(eol)
    return pieces


def units(pieces: Iterable[Piece]) -> list[str]:
    return [p.text for p in pieces if p.translate]
