"""Is a back-translated question still good Brazilian Portuguese? Checks with reason codes.

A round trip through an engine can come back in the wrong language (an
untranslated English sentence), in European Portuguese (Bergamot leaks pt-PT
words such as ``frigorífico``), with numbers changed, or identical to the
input. Each check returns None (keep) or a stable reason code.

Language comes from `corpus.langid.LangID` (fastText lid.176). The pt-BR
check uses the European-Portuguese markers of `corpus.variant` (vocabulary,
orthography, the "está a fazer" progressive) rather than its probability: a
question is too short for the statistical part to be reliable.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
MIN_PT_SCORE = 0.5


@lru_cache(maxsize=1)
def _lid():
    from corpus.langid import LangID

    return LangID()


def language(text: str) -> tuple[str | None, float]:
    return _lid().predict(text)


def pt_pt_markers(text: str) -> list[str]:
    """European-Portuguese forms in `text`: the variant scorer's own marker lists."""
    from corpus.variant import markers

    return markers(text)


def numbers(text: str) -> Counter:
    return Counter(n.replace(",", ".") for n in _NUMBER.findall(text))


def is_portuguese(text: str) -> bool:
    label, score = language(text)
    return label is None or (label == "pt" and score >= MIN_PT_SCORE)  # None: nothing to judge


def paraphrase_problem(original: str, paraphrase: str, same: bool) -> str | None:
    """Reason to drop `paraphrase` of `original`, or None to keep it. `same`: equal once normalised."""
    if not paraphrase.strip():
        return "empty"
    if same:
        return "unchanged"
    if numbers(paraphrase) != numbers(original):
        return "numbers_changed"
    if not is_portuguese(paraphrase):
        return "lang_not_pt"
    if pt_pt_markers(paraphrase) and not pt_pt_markers(original):
        return "variant_not_ptbr"
    return None
