"""Fit and evaluate the pt-BR vs pt-PT variant scorer on NTREX-128 (cross-validated).

    python bench/variant_eval.py          # cross-validated accuracy of the fitting procedure
    python bench/variant_eval.py --fit    # also refit corpus/data/variant_model.json on all 998 lines
    python bench/variant_eval.py --out-of-domain HELP   # also score the shipped weights on LibreOffice help

NTREX-128 dev (../shared/data/parallel/ntrex128.dev.{pt-BR,pt-PT}, 998 lines
each, human translations of the same English). The shipped weights are fitted on
all 998 lines (since stop 13; before, on lines 1-499 only), so their accuracy is
reported by 10-fold cross-validation: 10 contiguous blocks of lines (a news article
stays in one block), each scored by a model fitted, the same way, on the other 9.
No line is ever scored by a model that saw it. 5- and 20-fold figures are printed
beside it to show the spread, and the two halves (fit lines 1-499, score 500-998,
and the swap) for comparison with earlier stops, whose models saw half the data.

Accuracy: a sentence is right when P(pt-BR) > 0.5 for the pt-BR line and
<= 0.5 for the pt-PT line. Documents are 3 consecutive lines of the same fold and
variant, scored by adding their evidence (`VariantScorer.prob_many`).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from corpus import variant_fit as vf  # noqa: E402
from corpus.variant import VariantScorer, default_model_path  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "parallel"
HALF_A, HALF_B = np.arange(0, 499), np.arange(499, 998)


def load() -> tuple[list[str], list[str]]:
    br = (DATA / "ntrex128.dev.pt-BR").read_text(encoding="utf-8").splitlines()
    pt = (DATA / "ntrex128.dev.pt-PT").read_text(encoding="utf-8").splitlines()
    assert len(br) == len(pt) == 998, "NTREX dev files must be the 998-line first half"
    return br, pt


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


def out_of_domain(scorer: VariantScorer, pairs: list[tuple[str, str]], low: float = 0.05) -> dict:
    """The shipped weights on (pt-BR, pt-PT) pairs they were never fitted on: paragraph and
    3-paragraph document accuracy at P = 0.5, and the share of each variant below `low`
    (the instruct recipe's threshold: pt-BR below it is lost, pt-PT below it is caught)."""
    pb = [scorer.prob(a) for a, _ in pairs]
    pp = [scorer.prob(b) for _, b in pairs]
    n = len(pairs)
    docs = [(pairs[i:i + 3]) for i in range(0, n - 2, 3)]
    doc_ok = sum((scorer.prob_many([a for a, _ in d])[0] > 0.5) + (scorer.prob_many([b for _, b in d])[0] <= 0.5)
                 for d in docs)
    return {"pairs": n, "sentence_accuracy": round((sum(p > 0.5 for p in pb) + sum(p <= 0.5 for p in pp)) / (2 * n), 4),
            "documents": 2 * len(docs), "document_accuracy": round(doc_ok / (2 * len(docs)), 4),
            f"br_below_{low}": round(sum(p < low for p in pb) / n, 4), f"pt_below_{low}": round(sum(p < low for p in pp) / n, 4)}


def evaluation(data: vf.Featurized) -> dict:
    out = {f"cv{k}": vf.cross_validate(data, k) for k in (10, 5, 20)}
    out["half_1_499_to_500_998"] = vf.summarize([vf.accuracy(vf.fit(data, HALF_A), data, HALF_B)])
    out["half_500_998_to_1_499"] = vf.summarize([vf.accuracy(vf.fit(data, HALF_B), data, HALF_A)])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="store_true", help="refit the shipped weights on all 998 lines")
    ap.add_argument("--chars", action="store_true",
                    help="add the character n-gram family (measured: +0.25 points, within noise, 2x slower; not shipped)")
    ap.add_argument("--libreoffice-help", type=Path, metavar="DIR",
                    help="also fit on LibreOffice help with pt and pt-BR folders (see libreoffice_help_pairs); "
                         "not used for the shipped weights: within noise on NTREX, and help-text imperatives "
                         "(Escreva, Apresenta) become pt-PT markers")
    ap.add_argument("--out-of-domain", type=Path, metavar="DIR",
                    help="score the shipped weights on LibreOffice help pairs (same folder layout as "
                         "--libreoffice-help): a test set from another domain that no fit has used")
    args = ap.parse_args()
    for d in (args.libreoffice_help, args.out_of_domain):
        if d and not ((d / "pt").is_dir() and (d / "pt-BR").is_dir()):
            raise SystemExit(f"{d}: no pt/ and pt-BR/ help folders (see libreoffice_help_pairs)")
    br, pt = load()
    t0 = time.perf_counter()
    extra = vf.gettext_pairs()
    print(f"extra training pairs from the system's gettext catalogues: {len(extra)}")
    shipped = json.loads(default_model_path().read_text(encoding="utf-8"))
    if f"+ {len(extra)} gettext" not in shipped["trained_on"]:
        # the catalogues are whatever /usr/share/locale holds: installing a package (Chromium
        # brings gtk30, libhandy...) changes them, and the refit below with them
        cv = shipped["eval"]["cv10"]
        print(f"  the shipped weights were fitted on other catalogues ({shipped['trained_on']}); the figures below "
              f"are for a refit on this machine's. The shipped model's own 10-fold figures: "
              f"{cv['sentence_accuracy']} sentences, {cv['document_accuracy']} documents")
    help_pairs = libreoffice_help_pairs(args.libreoffice_help) if args.libreoffice_help else []
    if help_pairs:
        print(f"extra training pairs from LibreOffice help in {args.libreoffice_help}: {len(help_pairs)}")
    families = vf.SHIPPED + (("chars",) if args.chars else ())
    data = vf.Featurized(br, pt, extra + help_pairs, families)
    ev = evaluation(data)
    for name, r in ev.items():
        print(f"{name:24s} {json.dumps(r)}")
    if args.fit:
        model = vf.fit(data, np.arange(len(br)))
        bias, weights = vf.export(model, data)
        doc = {"version": 2, "labels": {"1": "pt-BR", "0": "pt-PT"},
               "method": f"multinomial naive Bayes log-ratios per family {list(families)} (add-{model.alpha}, chosen "
                         f"from {list(vf.ALPHA_GRID)} by {vf.INNER_FOLDS}-fold cross-validation), stacked/Platt-scaled "
                         "on 2-fold out-of-fold scores; features: corpus.variant.features"
                         + (" + char_features" if args.chars else ""),
               "trained_on": f"ntrex128.dev lines 1-998 (pt-BR=1, pt-PT=0) + {len(extra)} gettext pt_BR/pt message pairs"
                             + (f" + {len(help_pairs)} LibreOffice help paragraph pairs" if help_pairs else "")
                             + f" weighted {vf.EXTRA_WEIGHT}",
               "eval": ev, "bias": bias, "weights": dict(sorted(weights.items()))}
        from corpus.atomic import write_json_atomic

        write_json_atomic(default_model_path(), doc)
        # the written (rounded) weights must decide every line as the fitted model does
        s, (zb, zp) = VariantScorer(default_model_path()), model.logits(data, np.arange(len(br)))
        drift = max(max(abs(s.logit(t) - z) for t, z in zip(br, zb)), max(abs(s.logit(t) - z) for t, z in zip(pt, zp)))
        print(f"wrote {default_model_path()} ({len(weights)} weights; rounding moves a logit by at most {drift:.4f})")
    if args.out_of_domain:
        r = out_of_domain(VariantScorer(default_model_path()), libreoffice_help_pairs(args.out_of_domain))
        print(f"{'shipped on help (ood)':24s} {json.dumps(r)}")
    print(f"targets: sentence >= 0.85, 3-sentence documents >= 0.95   ({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
