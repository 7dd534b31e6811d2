"""The filter stages: language, variant, quality checks, duplicates, validation.

Each is a `corpus.stage.Filter`: ``check(record)`` returns None to keep the
record or a stable reason code with a detail; the base class counts and sends
drops to the rejects sink. Scores are written to ``record.meta`` before the
verdict, so a rejected record carries them into the rejects file.

Reasons: lang_not_target, lang_low_score, untranslated_turn (LangIDFilter);
variant_not_target (VariantFilter); empty_answer, too_short, length_ratio,
repetition, mojibake, numbers_changed, placeholder_*, too_long_for_training
(QualityChecks); duplicate (Duplicates); the validator's rule codes (Validate).

Example:
    stages = [LangIDFilter(lang="pt", min_score=0.8, rejects=rj), VariantFilter(min_score=0.2, rejects=rj)]
    kept = list(chain(read_records("in.json"), stages))
"""
from __future__ import annotations

import hashlib
import re
from typing import Any, Iterable

from corpus import checks
from corpus.checks import source_turns
from corpus.errors import UsageError
from corpus.langid import NEIGHBOURS, reads_as_portuguese
from corpus.record import Record
from corpus.rejects import Rejects
from corpus.stage import Filter, Verdict


def probability(name: str, value: Any) -> float:
    """A threshold that is a probability; anything outside [0, 1] would keep or drop everything."""
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a number between 0 and 1, got {value!r}") from None
    if not 0.0 <= p <= 1.0:
        raise UsageError(f"{name} must be between 0 and 1, got {value!r}")
    return p


class LangIDFilter(Filter):
    """Keep records whose language is `lang` with a length-weighted score >= `min_score`.

    A turn judged on its own (long enough) that is in the source language with
    score >= `untranslated_score` makes the record `untranslated_turn`. The
    source language comes from meta["source_lang"], else `source`.

    A turn judged on its own in a third language (neither `lang` nor the source) with
    score >= `foreign_turn_score` makes the record `lang_not_target`: the record score is
    length-weighted, so one French answer among long Portuguese turns would pass it
    (a record of 6 turns, one of them French at 0.998, scored pt 0.76). A neighbour label
    (es, gl, it...) on a turn with clearly more Portuguese-only than Spanish-only words is
    not foreign. Measured for 0.9 (stop 14), turns of 20+ letters: 0 of 453 Bergamot
    LLaVA-Instruct turns, 0 of 1,012 FLORES pt, 1 of 991 NTREX pt-BR (a French quote left
    untranslated in the reference), 2 of 3,965 Bergamot LLaVA-Pretrain turns (an English
    caption left as it was, and "twitter logos e twitter logotipo" as es 0.90), 1 of 11,709
    short Tatoeba pt sentences ("Tom nem fuma nem bebe." as hu). Above 1: off.
    """

    name = "langid"

    def __init__(self, lang: str = "pt", min_score: float = 0.5, source: str = "en",
                 untranslated_score: float = 0.5, model: str | None = None, min_chars: int | None = None,
                 roles: Iterable[str] | None = None, rejects: Rejects | None = None,
                 foreign_turn_score: float = 0.9):
        super().__init__(rejects)
        from corpus.langid import MIN_CHARS, LangID

        self.lid = LangID(model, min_chars=MIN_CHARS if min_chars is None else min_chars)
        self.lang, self.min_score, self.source = lang, probability("langid.min_score", min_score), source
        self.untranslated_score = float(untranslated_score)  # above 1: only the identical-to-source rule
        self.foreign_turn_score = float(foreign_turn_score)  # above 1: off
        self.roles = set(roles) if roles else None

    def check(self, rec: Record) -> Verdict:
        turns, meta, lang = rec.turns, rec.meta, self.lang
        if self.roles is None:
            idx = None
            texts = [t.value for t in turns]
        else:
            idx = [i for i, t in enumerate(turns) if t.role in self.roles]
            texts = [turns[i].value for i in idx]
        source = meta.get("source_lang") or self.source
        watch = source if source and source != lang else None
        src = source_turns(rec) if watch is not None and "source_conversations" in rec.extra else None
        if src is not None and idx is not None:
            src = [src[i] for i in idx]
        res = self.lid.score_record(texts, target=lang, source=watch,
                                    untranslated_score=self.untranslated_score, sources=src)
        meta["lang_label"] = label = res.label
        # thresholds compare the score as recorded in meta, so what a user reads is what decided
        meta["lang_score"] = shown = round(res.score, 4)
        meta["turn_lang"] = res.turns
        if res.merged:
            meta["lang_merged"] = res.merged
        if label is None:
            return None  # nothing with letters to judge: other checks handle empty records
        if label != lang:
            what = " (the source language)" if label == source else ""
            return "lang_not_target", f"record is {label}{what} ({res.score:.2f}), expected {lang}"
        if res.untranslated is not None:
            j, why = res.untranslated
            i = j if idx is None else idx[j]
            if why == "lang":
                lab, score = res.turns[j]
                return "untranslated_turn", f"turn {i} is {lab} ({score:.2f})"
            return "untranslated_turn", f"turn {i} is identical to its source"
        if res.mixed and (j := self._foreign_turn(res, texts, lang)) is not None:
            lab, score = res.turns[j]
            return "lang_not_target", f"turn {j if idx is None else idx[j]} is {lab} ({score:.2f}), expected {lang}"
        if shown < self.min_score:
            return "lang_low_score", f"{lang} score {shown:.4f} < {self.min_score}"
        return None

    def _foreign_turn(self, res, texts: list[str], lang: str) -> int | None:
        """The first turn judged on its own (not pooled) in another language at >= foreign_turn_score."""
        floor, judged = self.foreign_turn_score, res.judged
        for j, (lab, score) in enumerate(res.turns):
            if lab != lang and score >= floor and judged[j]:
                if lang == "pt" and lab in NEIGHBOURS and reads_as_portuguese(texts[j]):
                    continue
                return j
        return None


class VariantFilter(Filter):
    """Keep records whose probability of being `variant` (pt-BR or pt-PT) is >= `min_score`,
    and none of whose turns is below `min_turn_score` (0 or None: no turn floor).

    The record score adds up the evidence of all its turns, so one European answer among
    nine long Brazilian ones still scores ~1.0; the turn floor catches it. Measured for
    0.01 (stop 14): 0 of 456 Bergamot-translated LLaVA-Instruct turns, 4 of 1,012 FLORES-200
    pt sentences (2 with ``numa``/``num``, 1 ``Nova Iorque``), 0.1 % of NTREX pt-BR and 26.8 %
    of NTREX pt-PT sentences (10-fold out-of-fold scores) fall below it.
    """

    name = "variant"

    def __init__(self, variant: str = "pt-BR", min_score: float = 0.1, model: str | None = None,
                 roles: Iterable[str] | None = None, rejects: Rejects | None = None,
                 min_turn_score: float | None = 0.01):
        super().__init__(rejects)
        from corpus.variant import VariantScorer

        if variant not in ("pt-BR", "pt-PT"):
            raise UsageError(f"variant must be pt-BR or pt-PT, got {variant!r}")
        self.scorer = VariantScorer(model)
        self.variant, self.min_score = variant, probability("variant.min_score", min_score)
        self.min_turn_score = probability("variant.min_turn_score", min_turn_score or 0.0)
        self.roles = set(roles) if roles else None

    def check(self, rec: Record) -> Verdict:
        idx = [i for i, t in enumerate(rec.turns) if self.roles is None or t.role in self.roles]
        texts = [rec.turns[i].value for i in idx]
        p, per_turn = self.scorer.prob_many(texts)
        # thresholds compare the 4-place scores recorded in meta
        rec.meta["variant_ptbr"] = shown = round(p, 4)
        rec.meta["turn_variant"] = turns = [round(x, 4) for x in per_turn]
        br = self.variant == "pt-BR"
        score = shown if br else round(1.0 - shown, 4)
        if score < self.min_score:
            return "variant_not_target", f"P({self.variant}) = {score:.4f} < {self.min_score}{self._hint(texts)}"
        if self.min_turn_score and turns:
            j = min(range(len(turns)), key=turns.__getitem__) if br else max(range(len(turns)), key=turns.__getitem__)
            t = turns[j] if br else round(1.0 - turns[j], 4)
            if t < self.min_turn_score:
                return "variant_not_target", (f"turn {idx[j]}: P({self.variant}) = {t:.4f} < {self.min_turn_score}"
                                              f"{self._hint([texts[j]])}")
        return None

    def _hint(self, texts: list[str]) -> str:
        if self.variant != "pt-BR":
            return ""
        from corpus.variant import markers

        found = markers(" ".join(texts))
        return f"; European markers: {', '.join(found[:5])}" if found else ""


# name -> (function, defaults). Order is the order they run in.
CHECKS: dict[str, Any] = {
    "empty_answer": checks.empty_answer,
    "too_short": checks.too_short,
    "placeholders": checks.placeholders,
    "mojibake": checks.mojibake,
    "repetition": checks.repetition,
    "length_ratio": checks.length_ratio,
    "numbers_changed": checks.numbers_changed,
    "too_long_for_training": checks.too_long_for_training,
}


_POSITIVE = {"n", "chars_per_token", "max_tokens", "image_tokens"}  # 0 would divide by zero or mean nothing


def _check_numbers(check: str, args: dict[str, Any]) -> None:
    """Every numeric parameter of a check is >= 0 (some > 0), and length_ratio's low <= high."""
    for k, v in args.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise UsageError(f"checks.{check}.{k} must be a number, got {v!r}")
        if v < 0 or (v == 0 and k in _POSITIVE):
            raise UsageError(f"checks.{check}.{k} must be {'> 0' if k in _POSITIVE else '>= 0'}, got {v!r}")
    if "low" in args and "high" in args and args["low"] > args["high"]:
        raise UsageError(f"checks.{check}: low {args['low']} is above high {args['high']}")


class QualityChecks(Filter):
    """Run the named checks in order; the first that fails gives the reason.

    `params` maps a check name to its keyword arguments, e.g.
    ``{"length_ratio": {"low": 0.6, "high": 2.0}}``; a name mapped to False is off.
    """

    name = "checks"

    def __init__(self, params: dict[str, Any] | None = None, rejects: Rejects | None = None, **kw: Any):
        super().__init__(rejects)
        params = {**(params or {}), **kw}
        unknown = set(params) - set(CHECKS)
        if unknown:
            raise UsageError(f"unknown check(s): {', '.join(sorted(unknown))}; known: {', '.join(CHECKS)}")
        self.runs = []
        for name, fn in CHECKS.items():
            p = params.get(name, {})
            if p is False:
                continue
            p = {} if p in (True, None) else dict(p)
            try:  # bind now, so a misspelt parameter fails before any record is read
                import inspect

                bound = inspect.signature(fn).bind(None, **p)
            except TypeError as e:
                raise UsageError(f"check {name}: {e}") from None
            bound.apply_defaults()
            _check_numbers(name, dict(list(bound.arguments.items())[1:]))
            self.runs.append((fn, p))

    def check(self, rec: Record) -> Verdict:
        for fn, p in self.runs:
            v = fn(rec, **p)
            if v is not None:
                return v
        return None


_SPACE = re.compile(r"\s+")


class Duplicates(Filter):
    """Drop exact and whitespace/case-normalised duplicates of image + conversation.

    Memory-bounded: only 8-byte digests are kept (two per record seen), never texts.
    """

    name = "duplicates"

    def __init__(self, normalise: bool = True, rejects: Rejects | None = None):
        super().__init__(rejects)
        self.normalise = normalise
        self.exact: set[bytes] = set()
        self.loose: set[bytes] = set()

    @staticmethod
    def _digest(parts: list[str]) -> bytes:
        return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=8).digest()

    def check(self, rec: Record) -> Verdict:
        parts = [rec.image or ""] + [f"{t.role}\x1e{t.value}" for t in rec.turns]
        exact = self._digest(parts)
        if exact in self.exact:
            return "duplicate", "same image and conversation as an earlier record"
        if self.normalise:
            loose = self._digest([_SPACE.sub(" ", p).strip().lower() for p in parts])
            if loose in self.loose:
                return "duplicate", "same image and conversation as an earlier record, up to spaces and case"
            self.loose.add(loose)
        self.exact.add(exact)  # only kept records are remembered
        return None


class Validate(Filter):
    """The validator's record rules (schema, role_order, empty_turn, placeholder_*) as a stage."""

    name = "validate"

    def __init__(self, rejects: Rejects | None = None):
        super().__init__(rejects)

    def check(self, rec: Record) -> Verdict:
        from corpus.validate import record_findings, schema_findings

        found = schema_findings(rec.to_dict(with_meta=False)) or record_findings(rec)
        return found[0] if found else None
