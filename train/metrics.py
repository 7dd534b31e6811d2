"""Answer-quality metrics for Portuguese, all on a 0-100 scale.

- exact match and token F1 (SQuAD style) after Portuguese normalisation: case, accents,
  punctuation and the articles o/a/os/as/um/uma/uns/umas;
- ROUGE-1/2/L (F-measure, mean over samples) with a Portuguese-safe tokenizer: rouge-score's
  default tokenizer keeps only [a-z0-9], so "não" becomes "n o" and accented words stop matching;
- BLEU and chrF, corpus level, from sacrebleu.

    >>> exact_match("Um gato.", "o Gato")
    100.0
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

ARTICLES = frozenset({"o", "a", "os", "as", "um", "uma", "uns", "umas"})
METRICS = ("exact_match", "token_f1", "rouge1", "rouge2", "rougeL", "bleu", "chrf")
_WORD = re.compile(r"\w+")  # \w is Unicode-aware: keeps ã, ç, é together with their words


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def normalize_pt(text: str) -> str:
    """Lowercase, drop accents and punctuation, drop articles, collapse spaces: "À Casa!" -> "casa"."""
    text = strip_accents(text.lower())
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    return " ".join(w for w in text.split() if w not in ARTICLES)


def exact_match(prediction: str, reference: str) -> float:
    return 100.0 if normalize_pt(prediction) == normalize_pt(reference) else 0.0


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = normalize_pt(prediction).split(), normalize_pt(reference).split()
    if not pred or not ref:
        return 100.0 if pred == ref else 0.0
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 100.0 * 2 * precision * recall / (precision + recall)


class PortugueseTokenizer:
    """rouge-score tokenizer that lowercases and keeps accented letters ("não" stays "não")."""

    def tokenize(self, text: str) -> list[str]:
        return _WORD.findall(text.lower())


def rouge(predictions: list[str], references: list[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F-measure (0-100) with the Portuguese-safe tokenizer, no stemming."""
    from rouge_score import rouge_scorer

    keys = ("rouge1", "rouge2", "rougeL")
    scorer = rouge_scorer.RougeScorer(list(keys), use_stemmer=False, tokenizer=PortugueseTokenizer())
    totals = dict.fromkeys(keys, 0.0)
    for pred, ref in zip(predictions, references):
        scores = scorer.score(ref, pred)  # rouge-score takes (target, prediction)
        for k in keys:
            totals[k] += scores[k].fmeasure
    n = max(len(predictions), 1)
    return {k: 100.0 * v / n for k, v in totals.items()}


def score(predictions: list[str], references: list[str]) -> dict[str, float]:
    """Every metric in METRICS over aligned predictions and references, plus `n`."""
    import sacrebleu

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    n = len(predictions)
    result: dict[str, float] = {
        "exact_match": sum(map(exact_match, predictions, references)) / n if n else 0.0,
        "token_f1": sum(map(token_f1, predictions, references)) / n if n else 0.0,
    }
    result.update(rouge(predictions, references))
    result["bleu"] = sacrebleu.corpus_bleu(predictions, [references]).score if n else 0.0
    result["chrf"] = sacrebleu.corpus_chrf(predictions, [references]).score if n else 0.0
    result["n"] = n
    return result
