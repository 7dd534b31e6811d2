"""Mask the spans a translation engine must not touch, and restore them exactly.

Protected: ``<image>`` and any ``<tag>``, bounding boxes ``[0.12, 0.34, 0.56, 0.78]``
(any bracketed list of numbers), decimals and version numbers, URLs, e-mails,
inline and fenced code, LaTeX (``$..$``, ``$$..$$``, ``\\(..\\)``, ``\\[..\\]``) and
multiple-choice labels like ``(A)``.

Each span becomes a token ``[n]`` (1-based). That shape was chosen by measuring
the bundled Bergamot engine: ``[n]``, ``XNUMn`` and ``ZZn`` survived 20/20
realistic sentences, while ``⟦n⟧``, ``{n}``, ``<n>``, ``#n#`` and ``§n`` were lost
in 10/10; ``[n]`` also keeps the grammar natural ("em [1]", not "no XNUM1").
Any text that already looks like a token (``[7]``) is itself a protected span,
so every ``[n]`` in a masked text is ours and restoring is unambiguous:
``restore(*mask(t)) == t`` for every string ``t``.

Example:
    >>> m = mask("The cat at [0.1, 0.2, 0.3, 0.4] is 0.5 m tall.")
    >>> m.text
    'The cat at [1] is [2] m tall.'
    >>> restore(m.text, m.spans)
    'The cat at [0.1, 0.2, 0.3, 0.4] is 0.5 m tall.'
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

TOKEN = re.compile(r"\[(\d+)\]")

# Kinds that end a sentence for the segmenter (they are not words of it): tags,
# code blocks and display math. Other kinds sit inside sentences: labels too,
# because "Options: [1] shark [2] dolphin" translates better in one piece
# (alone, "dolphin" came back untranslated).
SEPARATOR_KINDS = frozenset({"tag", "fence", "display_math"})

_NUM = r"-?\d+(?:\.\d+)?"
_PATTERNS: list[tuple[str, str]] = [
    ("fence", r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)"),
    ("code", r"`[^`\n]+`"),
    ("display_math", r"\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)"),
    # $x^2$ but not prices: "$5 and $10" has a space before the second "$".
    ("math", r"\$(?=[^\s$])(?:[^$\n\\]|\\.)+?(?<=[^\s\\])\$(?!\d)"),
    ("url", r"(?:https?|ftp)://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]}]|www\.[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]}]"),
    ("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ("tag", r"</?[A-Za-z][\w:-]*(?:\s[^<>\n]{0,200})?/?>|<\|[^|\n]{1,60}\|>"),
    ("box", rf"\[\s*{_NUM}(?:\s*,\s*{_NUM})*\s*\]"),
    # (A) and (a): Bergamot dropped the "(" of "(a) the first one" (ScienceQA has both)
    ("label", r"(?<!\w)\([A-Za-z]\)(?!\w)"),
    ("decimal", r"(?<![\w.])\d+(?:\.\d+)+(?![\w.]\w)"),
]
_MASK = re.compile("|".join(f"(?P<{k}>{p})" for k, p in _PATTERNS), re.DOTALL)


@dataclass
class Masked:
    text: str  # the input with each span replaced by [n]
    spans: list[str] = field(default_factory=list)  # spans[n-1] is what [n] stands for
    kinds: list[str] = field(default_factory=list)

    def kind(self, n: int) -> str:
        return self.kinds[n - 1]


class PlaceholderError(ValueError):
    """A translation lost, duplicated or invented a mask token."""

    def __init__(self, reason: str, detail: str):
        self.reason, self.detail = reason, detail
        super().__init__(f"[{reason}] {detail}")


def mask(text: str) -> Masked:
    spans: list[str] = []
    kinds: list[str] = []

    def sub(m: re.Match) -> str:
        spans.append(m.group(0))
        kinds.append(m.lastgroup or "")
        return f"[{len(spans)}]"

    return Masked(_MASK.sub(sub, text), spans, kinds)


def token_problems(text: str, n: int) -> list[tuple[str, str]]:
    """Check that tokens [1]..[n] each occur exactly once in `text` and no others do."""
    seen = Counter(int(m.group(1)) for m in TOKEN.finditer(text))
    out = []
    missing = [i for i in range(1, n + 1) if seen[i] == 0]
    dup = [i for i in range(1, n + 1) if seen[i] > 1]
    extra = sorted(i for i in seen if not 1 <= i <= n)
    if missing:
        out.append(("placeholder_missing", f"lost {', '.join(f'[{i}]' for i in missing)}"))
    if dup:
        out.append(("placeholder_duplicated", f"repeated {', '.join(f'[{i}]' for i in dup)}"))
    if extra:
        out.append(("placeholder_extra", f"invented {', '.join(f'[{i}]' for i in extra)}"))
    return out


def restore(text: str, spans: list[str], *, strict: bool = True) -> str:
    """Put the spans back. With `strict`, a lost/duplicated/invented token raises PlaceholderError."""
    if strict:
        problems = token_problems(text, len(spans))
        if problems:
            raise PlaceholderError(*problems[0])

    def sub(m: re.Match) -> str:
        i = int(m.group(1))
        return spans[i - 1] if 1 <= i <= len(spans) else m.group(0)

    return TOKEN.sub(sub, text)


def renumber(text: str) -> tuple[str, list[int]]:
    """Renumber the tokens of a piece from [1] in order of appearance.

    Returns the new text and, for each local token, the global number it stands
    for. "at [7] and [9]" and "at [1] and [2]" become the same engine input, so
    the translation memory reuses one translation across records.
    """
    ids: list[int] = []

    def sub(m: re.Match) -> str:
        ids.append(int(m.group(1)))
        return f"[{len(ids)}]"

    return TOKEN.sub(sub, text), ids


def globalise(text: str, ids: list[int]) -> str:
    """Inverse of `renumber` on a translation: local [k] back to global [ids[k-1]]."""

    def sub(m: re.Match) -> str:
        k = int(m.group(1))
        # An invented token stays out of range so the strict restore rejects it.
        return f"[{ids[k - 1]}]" if 1 <= k <= len(ids) else "[0]"

    return TOKEN.sub(sub, text)
