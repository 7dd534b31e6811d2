"""Rules about the `<image>` placeholder, shared by `validate` and the filter stages.

Each rule returns (code, detail) findings. Codes are stable:
placeholder_missing, placeholder_extra, placeholder_position, placeholder_mangled.
The checks run on plain (role, value) pairs so the validator can use them on
raw dicts without building Records (that is most of its speed).
"""
from __future__ import annotations

import re
from typing import Sequence

from corpus.record import HUMAN, IMAGE_TOKEN, Record

# Damaged forms that translators produce: <imagem>, < image >, &lt;image&gt;,
# -imagem>, <Image>, [image], [imagem], <imagem, imagem> ...
MANGLED = re.compile(
    r"&lt;\s*imag(?:e|em)\s*&gt;"
    r"|<\s*/?\s*imag(?:e|em)\s*/?\s*>"
    r"|[-\[{]\s*imag(?:e|em)\s*[>\]}]"
    r"|<\s*imag(?:e|em)\b"
    r"|\bimag(?:e|em)\s*>",
    re.IGNORECASE,
)
_OPENERS = frozenset("<[{;/-")
_CLOSERS = frozenset(">]}&/")
_SPACE = frozenset(" \t\n\r\f\v")  # what the regex's \s matches around a placeholder


def _maybe_mangled(text: str) -> bool:
    """True when some "imag" that is not an exact `<image>` touches a bracket-like character.

    A cheap look at the few places "imag" occurs (English and Portuguese prose
    say "image"/"imagem" a lot); the regex only runs where this says yes.
    """
    low = text.lower()
    i = low.find("imag")
    n = len(low)
    while i >= 0:
        if not text.startswith(IMAGE_TOKEN, i - 1):
            j = i - 1
            while j >= 0 and low[j] in _SPACE:
                j -= 1
            k = i + 4
            if low.startswith("em", k):
                k += 2
            elif low.startswith("e", k):
                k += 1
            while k < n and low[k] in _SPACE:
                k += 1
            if (j >= 0 and low[j] in _OPENERS) or (k < n and low[k] in _CLOSERS):
                return True
        i = low.find("imag", i + 4)
    return False


def mangled_placeholders(text: str) -> list[str]:
    """Damaged placeholder forms in `text` (the exact `<image>` is not one)."""
    if not _maybe_mangled(text):
        return []
    return [m.group(0) for m in MANGLED.finditer(text) if m.group(0) != IMAGE_TOKEN]


def turn_placeholder_findings(turns: Sequence[tuple[str, str]], has_image: bool) -> list[tuple[str, str]]:
    """Placeholder findings for (role, value) turns.

    Works on the whole record joined once; per-turn detail is computed only
    when something is wrong (the common case costs two C-level scans).
    """
    out: list[tuple[str, str]] = []
    if not turns:
        return out
    blob = "\x00".join(v for _, v in turns)
    count = blob.count(IMAGE_TOKEN)
    first_role, first = turns[0]
    in_first = first.count(IMAGE_TOKEN) if first_role == HUMAN else 0
    if count != in_first:
        for i, (role, value) in enumerate(turns):
            if IMAGE_TOKEN in value and (i != 0 or role != HUMAN):
                out.append(("placeholder_position", f"<image> in turn {i} ({role}); it belongs in the first human turn"))
    if mangled_placeholders(blob):
        for i, (_, value) in enumerate(turns):
            bad = mangled_placeholders(value)
            if bad:
                out.append(("placeholder_mangled", f"turn {i} has {', '.join(repr(b) for b in bad[:3])}"))
    if has_image:
        if count == 0:
            out.append(("placeholder_missing", "record has an image but no <image> in its turns"))
        elif count > 1:
            out.append(("placeholder_extra", f"{count} <image> placeholders; exactly one expected"))
    elif count:
        out.append(("placeholder_extra", f"text-only record has {count} <image> placeholder(s)"))
    if in_first == 1:
        v = first.strip()
        if not (v.startswith(IMAGE_TOKEN) or v.endswith(IMAGE_TOKEN)):
            out.append(("placeholder_position", "<image> must be at the start or end of the first human turn"))
    return out


def placeholder_findings(rec: Record) -> list[tuple[str, str]]:
    return turn_placeholder_findings([(t.role, t.value) for t in rec.turns], rec.has_image)
