"""Fitting the pt-BR vs pt-PT scorer (`corpus.variant`): numpy only, a few seconds.

Each feature family is a multinomial naive-Bayes log-ratio model (add-`alpha`):

* ``words`` (shipped): `corpus.variant.features`, words once per text + the hand-written
  marker groups;
* ``chars`` (opt-in, ``bench/variant_eval.py --chars``): `corpus.variant.char_features`,
  3-5 letter n-grams of the lowercased words once per text. Measured in stop 13 (nested
  10 / 20-fold): 0.849 / 0.851 against 0.851 / 0.851 without, +1 point on the half splits,
  for twice the scoring time and a model 7x larger, so it is not shipped.

The smoothing (add-alpha) is chosen from `ALPHA_GRID` by 5-fold cross-validation inside
the training lines, so it too is learnt without the lines a model is scored on. The family
scores are stacked by a logistic regression fitted on out-of-fold scores inside the
training lines (2 folds); with one family this is Platt scaling. The
coefficients are folded into the weights, so the model is one linear model: a text's
logit is bias + the sum of its features' weights, and evidence adds up across the
sentences of a document.

`cross_validate` is how the accuracy is reported: contiguous folds of NTREX lines (a
news article stays in one fold), each scored by a model fitted, smoothing choice
included, on the other folds (nested cross-validation).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.variant import char_features, features

FAMILIES: dict[str, Callable[[str], Iterable[str]]] = {"words": features, "chars": char_features}
SHIPPED = ("words",)
ALPHA_GRID = (1.0, 2.0, 3.0, 4.0, 5.0, 8.0)  # add-alpha smoothing, chosen by inner cross-validation
INNER_FOLDS = 5
MIN_COUNT = {"words": 1.0, "chars": 2.0}   # features seen less (weighted) are dropped
EXTRA_WEIGHT = 0.05                         # each gettext pair counts this much
MIN_WEIGHT = 1e-4                           # smaller scaled weights are not written


LOCALE = Path("/usr/share/locale")
_FMT = re.compile(r"%[-#0 +'I]*\d*(?:\.\d+)?(?:hh|h|ll|l|L|q|j|z|t)?[a-zA-Z%]|\{[^}]*\}|[_&]|\s+")


def gettext_pairs(min_words: int = 3, locale: Path = LOCALE) -> list[tuple[str, str]]:
    """(pt-BR, pt-PT) translations of the same English UI message, from the system's
    gettext catalogues (/usr/share/locale/{pt_BR,pt}/LC_MESSAGES/*.mo: gtk, coreutils,
    apt, tar...). Human translations by each variant's translation team. Only pairs
    that differ and have `min_words` words or more; ISO code lists left out."""
    import gettext

    out, seen = [], set()
    for pt_mo in sorted((locale / "pt" / "LC_MESSAGES").glob("*.mo")):
        br_mo = locale / "pt_BR" / "LC_MESSAGES" / pt_mo.name
        if pt_mo.name.startswith("iso_") or not br_mo.exists():
            continue
        try:
            with open(pt_mo, "rb") as fa, open(br_mo, "rb") as fb:
                cat_pt, cat_br = gettext.GNUTranslations(fa)._catalog, gettext.GNUTranslations(fb)._catalog
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        for key in sorted(k for k in cat_pt if isinstance(k, str) and k):
            a, b = cat_br.get(key), cat_pt[key]
            if not a or not b:
                continue
            a, b = _FMT.sub(" ", a).strip(), _FMT.sub(" ", b).strip()
            if a == b or len(a.split()) < min_words or (a, b) in seen:
                continue
            seen.add((a, b))
            out.append((a, b))
    return out


@dataclass
class Rows:
    """Sparse feature counts of a list of texts over a shared vocabulary (CSR-like)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def counts(self, rows: np.ndarray, size: int, weight: float = 1.0) -> np.ndarray:
        """Summed feature counts of the given rows."""
        mask = np.zeros(len(self), dtype=bool)
        mask[rows] = True
        take = mask[np.repeat(np.arange(len(self)), np.diff(self.indptr))]
        return np.bincount(self.indices[take], weights=self.data[take] * weight, minlength=size)

    def scores(self, w: np.ndarray) -> np.ndarray:
        """Per-row sum of weight x count."""
        out = np.zeros(len(self))
        nonempty = self.indptr[1:] > self.indptr[:-1]
        if self.data.size:
            sums = np.add.reduceat(w[self.indices] * self.data, self.indptr[:-1][nonempty])
            out[nonempty] = sums
        return out


class Featurized:
    """Every text featurized once per family: NTREX pt-BR and pt-PT lines, extra pairs."""

    def __init__(self, br: Sequence[str], pt: Sequence[str], extra: Sequence[tuple[str, str]] = (),
                 families: Sequence[str] = SHIPPED):
        self.n, self.families = len(br), tuple(families)
        self.vocab: dict[str, dict[str, int]] = {}
        self.rows: dict[str, dict[str, Rows]] = {}
        self._extra: dict = {}
        for fam in self.families:
            fn = FAMILIES[fam]
            vocab: dict[str, int] = {}
            self.vocab[fam] = vocab
            self.rows[fam] = {name: _rows(texts, fn, vocab) for name, texts in
                              (("br", br), ("pt", pt), ("xbr", [a for a, _ in extra]), ("xpt", [b for _, b in extra]))}

    def counts(self, fam: str, lines: np.ndarray, extra_weight: float) -> tuple[np.ndarray, np.ndarray]:
        """(pt-BR, pt-PT) feature counts of `lines` plus the extra pairs at `extra_weight`."""
        r, size = self.rows[fam], len(self.vocab[fam])
        key = (fam, extra_weight)
        if key not in self._extra:
            self._extra[key] = (r["xbr"].counts(np.arange(len(r["xbr"])), size, extra_weight),
                                r["xpt"].counts(np.arange(len(r["xpt"])), size, extra_weight))
        xb, xp = self._extra[key]
        return r["br"].counts(lines, size) + xb, r["pt"].counts(lines, size) + xp

    def family_scores(self, weights: dict[str, np.ndarray], lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pt-BR scores, pt-PT scores) of `lines`, one column per family."""
        cols_b = [self.rows[f]["br"].scores(weights[f])[lines] for f in self.families]
        cols_p = [self.rows[f]["pt"].scores(weights[f])[lines] for f in self.families]
        return np.stack(cols_b, 1), np.stack(cols_p, 1)


def _rows(texts: Sequence[str], fn: Callable[[str], Iterable[str]], vocab: dict[str, int]) -> Rows:
    indptr, indices, data = [0], [], []
    for t in texts:
        f = fn(t)
        items = f.items() if hasattr(f, "items") else ((k, 1) for k in f)
        for k, v in items:
            indices.append(vocab.setdefault(k, len(vocab)))
            data.append(float(v))
        indptr.append(len(indices))
    return Rows(np.array(indptr), np.array(indices, dtype=np.int64), np.array(data))


def logistic(X: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> np.ndarray:
    """Logistic regression coefficients (last one the bias) by Newton's method."""
    X = np.hstack([X, np.ones((len(X), 1))])
    b = np.zeros(X.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(X @ b, -35, 35)))
        g = X.T @ (p - y) + l2 * b
        H = X.T @ (X * (p * (1 - p))[:, None]) + l2 * np.eye(len(b))
        step = np.linalg.solve(H, g)
        b -= step
        if np.abs(step).max() < 1e-9:
            break
    return b


@dataclass
class Fitted:
    """Per-family NB weights and the stacking coefficients (one per family, then the bias)."""

    weights: dict[str, np.ndarray]
    coef: np.ndarray
    alpha: float

    def logits(self, data: Featurized, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xb, xp = data.family_scores(self.weights, lines)
        return xb @ self.coef[:-1] + self.coef[-1], xp @ self.coef[:-1] + self.coef[-1]


def nb(cb: np.ndarray, cp: np.ndarray, alpha: float, min_count: float) -> np.ndarray:
    """Multinomial NB log-ratios (pt-BR over pt-PT), add-`alpha`; 0 for features seen less than `min_count`."""
    keep = (cb + cp) >= min_count
    nb_, np_ = cb[keep].sum() + alpha * keep.sum(), cp[keep].sum() + alpha * keep.sum()
    return np.where(keep, np.log((cb + alpha) / nb_) - np.log((cp + alpha) / np_), 0.0)


def fit(data: Featurized, lines: Sequence[int], alpha: float | None = None,
        extra_weight: float = EXTRA_WEIGHT) -> Fitted:
    """NB per family on `lines`, stacked on 2-fold out-of-fold scores inside `lines`.

    `alpha` None: chosen from `ALPHA_GRID` by cross-validation inside `lines` (`select_alpha`),
    so a model scored on other lines never chose its smoothing by looking at them."""
    lines = np.asarray(lines)
    if alpha is None:
        alpha = select_alpha(data, lines, extra_weight)
    return _fit_all(data, lines, extra_weight)(alpha)


def _fit_all(data: Featurized, lines: np.ndarray, extra_weight: float):
    """Counts once for `lines`; returns alpha -> Fitted (the smoothing is cheap to vary)."""
    half = len(lines) // 2
    halves = ((lines[:half], lines[half:]), (lines[half:], lines[:half]))
    part_counts = [{f: data.counts(f, tr, extra_weight) for f in data.families} for tr, _ in halves]
    full_counts = {f: data.counts(f, lines, extra_weight) for f in data.families}

    def at(alpha: float) -> Fitted:
        X, y = [], []
        for (_, te), cnt in zip(halves, part_counts):
            w = {f: nb(*cnt[f], alpha, MIN_COUNT[f]) for f in data.families}
            xb, xp = data.family_scores(w, te)
            X += [xb, xp]
            y += [np.ones(len(te)), np.zeros(len(te))]
        coef = logistic(np.vstack(X), np.concatenate(y))
        return Fitted({f: nb(*full_counts[f], alpha, MIN_COUNT[f]) for f in data.families}, coef, alpha)

    return at


def select_alpha(data: Featurized, lines: np.ndarray, extra_weight: float = EXTRA_WEIGHT,
                 k: int = INNER_FOLDS) -> float:
    """The `ALPHA_GRID` value with the best `k`-fold accuracy inside `lines` (ties: nearest 5,
    the stop-12 value). More training lines favour less smoothing (1-3 on 900 lines, 4-5 on 499)."""
    blocks = np.array_split(lines, k)
    right = dict.fromkeys(ALPHA_GRID, 0)
    for j, te in enumerate(blocks):
        at = _fit_all(data, np.concatenate([b for i, b in enumerate(blocks) if i != j]), extra_weight)
        for a in ALPHA_GRID:
            right[a] += accuracy(at(a), data, te)["sentences_right"]
    return max(ALPHA_GRID, key=lambda a: (right[a], -abs(a - 5.0)))


def accuracy(model: Fitted, data: Featurized, lines: Sequence[int]) -> dict:
    """Sentence accuracy at P = 0.5, and on 3 consecutive lines scored together (bias once)."""
    lines = np.asarray(lines)
    zb, zp = model.logits(data, lines)
    xb, xp = data.family_scores(model.weights, lines)
    docs = [np.arange(k, k + 3) for k in range(0, len(lines) - 2, 3)]
    db = np.array([xb[d].sum(0) @ model.coef[:-1] + model.coef[-1] for d in docs])
    dp = np.array([xp[d].sum(0) @ model.coef[:-1] + model.coef[-1] for d in docs])
    return {"sentences": 2 * len(lines), "sentences_right": int((zb > 0).sum() + (zp <= 0).sum()),
            "documents": 2 * len(docs), "documents_right": int((db > 0).sum() + (dp <= 0).sum()),
            "br_right": int((zb > 0).sum()), "pt_right": int((zp <= 0).sum())}


def summarize(parts: Iterable[dict]) -> dict:
    tot: dict = {}
    for p in parts:
        for k, v in p.items():
            tot[k] = tot.get(k, 0) + v
    return {"sentences": tot["sentences"], "sentence_accuracy": round(tot["sentences_right"] / tot["sentences"], 4),
            "documents": tot["documents"], "document_accuracy": round(tot["documents_right"] / tot["documents"], 4),
            "br_recall": round(2 * tot["br_right"] / tot["sentences"], 4),
            "pt_recall": round(2 * tot["pt_right"] / tot["sentences"], 4)}


def folds(n: int, k: int) -> list[np.ndarray]:
    """`k` contiguous blocks of line numbers (the last takes the remainder)."""
    size = n // k
    return [np.arange(i * size, n if i == k - 1 else (i + 1) * size) for i in range(k)]


def cross_validate(data: Featurized, k: int = 10, alpha: float | None = None,
                   extra_weight: float = EXTRA_WEIGHT) -> dict:
    """Each contiguous fold scored by a model fitted on the other k-1 (its smoothing chosen
    inside them when `alpha` is None): no line is scored by a model that saw it."""
    parts, chosen = [], []
    for te in folds(data.n, k):
        model = fit(data, np.setdiff1d(np.arange(data.n), te), alpha, extra_weight)
        parts.append(accuracy(model, data, te))
        chosen.append(model.alpha)
    return {**summarize(parts), "alpha_per_fold": chosen}


def export(model: Fitted, data: Featurized) -> tuple[float, dict[str, float]]:
    """(bias, feature -> weight) with the stacking coefficients folded in, rounded."""
    out: dict[str, float] = {}
    for j, fam in enumerate(data.families):
        names = sorted(data.vocab[fam], key=data.vocab[fam].get)
        scaled = model.weights[fam] * model.coef[j]
        for name, v in zip(names, scaled):
            if abs(v) >= MIN_WEIGHT:
                out[name] = round(float(v), 5)
    return round(float(model.coef[-1]), 5), out
