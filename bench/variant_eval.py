"""Fit and evaluate the pt-BR vs pt-PT variant scorer on NTREX-128 (held-out halves).

    python bench/variant_eval.py          # evaluate the shipped weights + the swap check
    python bench/variant_eval.py --fit    # refit corpus/data/variant_model.json (then evaluates)

NTREX-128 dev (../shared/data/parallel/ntrex128.dev.{pt-BR,pt-PT}, 998 lines
each, human translations of the same English) is split by line: half A =
lines 1-499, half B = lines 500-998. The shipped weights are fitted on A only;
B is the held-out test. The swap check fits on B and scores A, to show the
figure is not a lucky split. Nothing is ever scored on the lines it was fitted on.

Accuracy: a sentence is right when P(pt-BR) > 0.5 for the pt-BR line and
<= 0.5 for the pt-PT line. Documents are 3 consecutive held-out lines of the
same variant, scored by adding their evidence (`VariantScorer.prob_many`).
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from corpus.variant import VariantScorer, default_model_path, features  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "parallel"
HALF_A, HALF_B = range(0, 499), range(499, 998)
ALPHA, MIN_COUNT, EXTRA_WEIGHT = 5.0, 1, 0.05


def load() -> tuple[list[str], list[str]]:
    br = (DATA / "ntrex128.dev.pt-BR").read_text(encoding="utf-8").splitlines()
    pt = (DATA / "ntrex128.dev.pt-PT").read_text(encoding="utf-8").splitlines()
    assert len(br) == len(pt) == 998, "NTREX dev files must be the 998-line first half"
    return br, pt


LOCALE = Path("/usr/share/locale")
_FMT = re.compile(r"%[-#0 +'I]*\d*(?:\.\d+)?(?:hh|h|ll|l|L|q|j|z|t)?[a-zA-Z%]|\{[^}]*\}|[_&]|\s+")


def gettext_pairs(min_words: int = 3) -> list[tuple[str, str]]:
    """(pt-BR, pt-PT) translations of the same English UI message, from the system's
    gettext catalogues (/usr/share/locale/{pt_BR,pt}/LC_MESSAGES/*.mo: gtk, coreutils,
    apt, tar...). Human translations by each variant's translation team. Only pairs
    that differ and have `min_words` words or more; ISO code lists left out."""
    import gettext

    out, seen = [], set()
    for pt_mo in sorted((LOCALE / "pt" / "LC_MESSAGES").glob("*.mo")):
        br_mo = LOCALE / "pt_BR" / "LC_MESSAGES" / pt_mo.name
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


_HELP_PARA = re.compile(r'<(p|h[1-6]|td)[^>]*id="([^"]+)"[^>]*>(.*?)</\1>', re.S)


def libreoffice_help_pairs(root: Path, min_words: int = 4) -> list[tuple[str, str]]:
    """(pt-BR, pt-PT) paragraphs of LibreOffice's help, aligned by page and paragraph id.

    The two Debian packages ``libreoffice-help-pt-br`` and ``libreoffice-help-pt``
    hold the same pages (``ROOT/{pt-BR,pt}/text/**/*.html``) translated by the
    Brazilian and the Portuguese teams; paragraphs carry the same ``id`` in both.
    Without installing LibreOffice: ``apt-get download libreoffice-help-pt
    libreoffice-help-pt-br && dpkg -x`` each into a folder, and pass
    ``--libreoffice-help FOLDER/usr/share/libreoffice/help``. Pairs left in English
    on either side (fastText lid.176 not ``pt`` at >= 0.5) are dropped.
    """
    import html

    from corpus.langid import LangID

    def paras(path: Path) -> dict[str, str]:
        text = path.read_text(encoding="utf-8", errors="replace")
        return {pid: " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
                for _, pid, body in _HELP_PARA.findall(text)}

    lid, out, seen = LangID(), [], set()
    for pt_page in sorted((root / "pt").rglob("*.html")):
        br_page = root / "pt-BR" / pt_page.relative_to(root / "pt")
        if not br_page.exists():
            continue
        a, b = paras(br_page), paras(pt_page)
        for key in sorted(a.keys() & b.keys()):
            x, y = a[key], b[key]
            if x == y or len(x.split()) < min_words or (x, y) in seen:
                continue
            seen.add((x, y))
            (la, sa), (lb, sb) = lid.predict(x), lid.predict(y)
            if la == lb == "pt" and min(sa, sb) > 0.5:
                out.append((x, y))
    return out


def fit(br_texts: list[str], pt_texts: list[str], extra: list[tuple[str, str]] = (),
        extra_weight: float = EXTRA_WEIGHT) -> tuple[float, dict[str, float]]:
    """Multinomial naive Bayes log-ratios with add-`ALPHA` smoothing, then calibrated.

    `extra` pairs (gettext) count `extra_weight` each. Features seen fewer than
    `MIN_COUNT` times are dropped (they are noise and bloat the JSON). The log-ratios
    are overconfident, so a scale and a bias are fitted on out-of-fold scores (2-fold
    inside the training lines) and folded into the weights: probabilities mean
    something, and evidence still adds up across sentences.
    """
    half = len(br_texts) // 2
    folds = [(range(0, half), range(half, len(br_texts))), (range(half, len(br_texts)), range(0, half))]
    z, y = [], []
    for tr, te in folds:
        w = _nb([br_texts[i] for i in tr], [pt_texts[i] for i in tr], extra, extra_weight)
        z += [_ev(w, br_texts[i]) for i in te] + [_ev(w, pt_texts[i]) for i in te]
        y += [1.0] * len(te) + [0.0] * len(te)
    scale, bias = _platt(np.array(z), np.array(y))
    w = _nb(br_texts, pt_texts, extra, extra_weight)
    return round(bias, 4), {f: round(v * scale, 4) for f, v in w.items() if abs(v * scale) >= 0.005}


def _nb(br_texts, pt_texts, extra, extra_weight) -> dict[str, float]:
    cb: Counter = Counter()
    cp: Counter = Counter()
    for texts, counts, wt in ((br_texts, cb, 1.0), (pt_texts, cp, 1.0),
                              ([a for a, _ in extra], cb, extra_weight), ([b for _, b in extra], cp, extra_weight)):
        for t in texts:
            for f, n in features(t).items():
                counts[f] += n * wt
    vocab = [f for f in set(cb) | set(cp) if cb[f] + cp[f] >= MIN_COUNT]
    nb, np_ = sum(cb[f] for f in vocab) + ALPHA * len(vocab), sum(cp[f] for f in vocab) + ALPHA * len(vocab)
    return {f: math.log((cb[f] + ALPHA) / nb) - math.log((cp[f] + ALPHA) / np_) for f in vocab}


def _ev(weights: dict[str, float], text: str) -> float:
    return sum(weights.get(f, 0.0) * n for f, n in features(text).items())


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """1-D logistic regression p = sigmoid(a*z + c) by Newton's method."""
    a, c = 1.0, 0.0
    X = np.stack([z, np.ones_like(z)], axis=1)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(X @ np.array([a, c]), -35, 35)))
        g = X.T @ (p - y)
        H = X.T @ (X * (p * (1 - p))[:, None]) + 1e-6 * np.eye(2)
        a, c = np.array([a, c]) - np.linalg.solve(H, g)
    return float(a), float(c)


def evaluate(scorer: VariantScorer, br: list[str], pt: list[str], idx: range) -> dict:
    sb = [scorer.prob(br[i]) for i in idx]
    sp = [scorer.prob(pt[i]) for i in idx]
    sent = (sum(p > 0.5 for p in sb) + sum(p <= 0.5 for p in sp)) / (2 * len(idx))
    lines = list(idx)
    docs = [lines[i:i + 3] for i in range(0, len(lines) - 2, 3)]
    db = [scorer.prob_many([br[i] for i in d])[0] for d in docs]
    dp = [scorer.prob_many([pt[i] for i in d])[0] for d in docs]
    doc = (sum(p > 0.5 for p in db) + sum(p <= 0.5 for p in dp)) / (2 * len(docs))
    return {"sentences": 2 * len(idx), "sentence_accuracy": round(sent, 4),
            "documents": 2 * len(docs), "document_accuracy": round(doc, 4),
            "br_recall": round(sum(p > 0.5 for p in sb) / len(sb), 4),
            "pt_recall": round(sum(p <= 0.5 for p in sp) / len(sp), 4)}


class _InMemory(VariantScorer):
    def __init__(self, bias: float, weights: dict[str, float]):
        self.bias, self.weights = bias, weights


def _fit_half(br, pt, idx, extra) -> tuple[float, dict[str, float]]:
    return fit([br[i] for i in idx], [pt[i] for i in idx], extra)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="store_true", help="refit the shipped weights on half A")
    ap.add_argument("--libreoffice-help", type=Path, metavar="DIR",
                    help="also fit on LibreOffice help with pt and pt-BR folders (see libreoffice_help_pairs); "
                         "not used for the shipped weights: +2 points on NTREX, but help-text imperatives "
                         "(Escreva, Apresenta) become pt-PT markers and translated LLaVA captions drift to pt-PT")
    args = ap.parse_args()
    br, pt = load()
    t0 = time.perf_counter()
    extra = gettext_pairs()
    print(f"extra training pairs from the system's gettext catalogues: {len(extra)}")
    if args.libreoffice_help and not ((args.libreoffice_help / "pt").is_dir() and (args.libreoffice_help / "pt-BR").is_dir()):
        raise SystemExit(f"{args.libreoffice_help}: no pt/ and pt-BR/ help folders (see libreoffice_help_pairs)")
    help_pairs = libreoffice_help_pairs(args.libreoffice_help) if args.libreoffice_help else []
    if help_pairs:
        print(f"extra training pairs from LibreOffice help in {args.libreoffice_help}: {len(help_pairs)}")
    extra = extra + help_pairs
    swap = evaluate(_InMemory(*_fit_half(br, pt, HALF_B, extra)), br, pt, HALF_A)
    if args.fit:
        bias, weights = _fit_half(br, pt, HALF_A, extra)
        shipped = evaluate(_InMemory(bias, weights), br, pt, HALF_B)
        model = {"version": 1, "labels": {"1": "pt-BR", "0": "pt-PT"},
                 "method": f"multinomial naive Bayes log-ratios (add-{ALPHA}, features counted >= {MIN_COUNT}), "
                           "Platt-scaled on 2-fold out-of-fold scores; features: corpus.variant.features",
                 "trained_on": f"ntrex128.dev lines 1-499 (pt-BR=1, pt-PT=0) + {len(extra) - len(help_pairs)} gettext "
                               f"pt_BR/pt message pairs" + (f" + {len(help_pairs)} LibreOffice help paragraph pairs"
                                                            if help_pairs else "") + f" weighted {EXTRA_WEIGHT}",
                 "eval": {"held_out_lines_500_998": shipped, "swap_fit_500_998_eval_1_499": swap},
                 "bias": bias, "weights": dict(sorted(weights.items()))}
        from corpus.atomic import write_json_atomic

        write_json_atomic(default_model_path(), model)
        print(f"wrote {default_model_path()} ({len(weights)} weights)")
    shipped = evaluate(VariantScorer(), br, pt, HALF_B)
    print(f"shipped weights (fit lines 1-499) on held-out lines 500-998: {json.dumps(shipped)}")
    print(f"swap check (fit lines 500-998) on lines 1-499:              {json.dumps(swap)}")
    print(f"targets: sentence >= 0.85, 3-sentence documents >= 0.95   ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
