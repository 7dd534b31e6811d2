"""Rules about the `<image>` placeholder, shared by `validate` and the filter stages.

Each rule returns (code, detail) findings. Codes are stable:
placeholder_missing, placeholder_extra, placeholder_position, placeholder_mangled.
"""
from __future__ import annotations

import re

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


def mangled_placeholders(text: str) -> list[str]:
    return [m.group(0) for m in MANGLED.finditer(text) if m.group(0) != IMAGE_TOKEN]


def placeholder_findings(rec: Record) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    count = 0
    for i, t in enumerate(rec.turns):
        n = t.value.count(IMAGE_TOKEN)
        count += n
        if n and (i != 0 or t.role != HUMAN):
            out.append(("placeholder_position", f"<image> in turn {i} ({t.role}); it belongs in the first human turn"))
        if "imag" in t.value.lower():  # cheap guard before the regex
            bad = mangled_placeholders(t.value)
            if bad:
                out.append(("placeholder_mangled", f"turn {i} has {', '.join(repr(b) for b in bad[:3])}"))
    if rec.has_image:
        if count == 0:
            out.append(("placeholder_missing", "record has an image but no <image> in its turns"))
        elif count > 1:
            out.append(("placeholder_extra", f"{count} <image> placeholders; exactly one expected"))
    elif count:
        out.append(("placeholder_extra", f"text-only record has {count} <image> placeholder(s)"))
    if rec.turns and rec.turns[0].value.count(IMAGE_TOKEN) == 1:
        v = rec.turns[0].value.strip()
        if not (v.startswith(IMAGE_TOKEN) or v.endswith(IMAGE_TOKEN)):
            out.append(("placeholder_position", "<image> must be at the start or end of the first human turn"))
    return out
