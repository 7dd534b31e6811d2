"""One text's translation plan: mask, segment, list the engine inputs, reassemble.

`plan(text)` masks protected spans, cuts the masked text into layout and
sentences, and renumbers each sentence's tokens from ``[1]`` so identical
sentences share one engine input (and one translation-memory entry) whatever
the boxes or URLs inside them. `assemble` puts the translations back and
restores the spans, reporting (reason, detail) problems instead of guessing.

Example:
    p = plan("<image>\\nWhat is at [0.1, 0.2, 0.3, 0.4]?", max_chars=300)
    p.units                      # ['What is at [1]?']
    p.assemble({"What is at [1]?": "O que está em [1]?"})
    # ('<image>\\nO que está em [0.1, 0.2, 0.3, 0.4]?', [])
"""
from __future__ import annotations

from dataclasses import dataclass

from corpus.placeholders import PlaceholderError, globalise, mask, renumber, restore, token_problems
from corpus.segment import segment

# A failed segment: the runner maps engine failures to this marker.
FAILED = None


@dataclass
class Plan:
    source: str
    spans: list[str]
    pieces: list[tuple[str, list[int] | None]]  # (text, None) layout | (engine text, global ids)

    @property
    def units(self) -> list[str]:
        return [t for t, ids in self.pieces if ids is not None]

    def assemble(self, translations: dict[str, str | None],
                 errors: dict[str, str] | None = None) -> tuple[str, list[tuple[str, str]]]:
        """Join the pieces with their translations; problems are (reason, detail) pairs.

        `errors` maps a segment the engine failed on to the engine's last error,
        so a reject says why (key refused, server down) and not only that it failed.
        """
        out: list[str] = []
        problems: list[tuple[str, str]] = []
        for text, ids in self.pieces:
            if ids is None:
                out.append(text)
                continue
            tr = translations.get(text)
            if tr is None:
                why = (errors or {}).get(text)
                problems.append(("segment_failed", f"no translation for {text[:60]!r}" + (f" ({why})" if why else "")))
                out.append(text)
                continue
            bad = token_problems(tr, len(ids))
            if bad:
                problems.append((bad[0][0], f"{bad[0][1]} in {tr[:60]!r}"))
            out.append(globalise(tr, ids))
        joined = "".join(out)
        try:
            return restore(joined, self.spans), problems
        except PlaceholderError as e:
            if not problems:
                problems.append((e.reason, e.detail))
            return restore(joined, self.spans, strict=False), problems


def plan(text: str, max_chars: int = 300) -> Plan:
    m = mask(text)
    pieces: list[tuple[str, list[int] | None]] = []
    for p in segment(m.text, max_chars=max_chars, kinds=m.kinds):
        if p.translate:
            local, ids = renumber(p.text)
            pieces.append((local, ids))
        else:
            pieces.append((p.text, None))
    return Plan(text, m.spans, pieces)
