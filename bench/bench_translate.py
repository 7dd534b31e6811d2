"""Benchmark `corpus translate` with bergamot on the 50 shared LLaVA-Instruct records.

Prints ratios measured side by side in one run (absolute times drift on a shared machine):
  (a) the engine alone on the unique sentences (2 threads),
  (b) translate_file end to end with a fresh memory (2 workers),
  (c) the same call again (memory warm),
  2 threads vs 1 thread engine throughput on the same sentences,
  and segments total vs unique on the 2,183 pretrain records (no translation).

Run: python bench/bench_translate.py [--records 50] [--scaling-sentences 120]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "llava"
sys.path.insert(0, str(ROOT))

from corpus.io import read_records  # noqa: E402
from corpus.translate.bergamot import BergamotEngine  # noqa: E402
from corpus.translate.plan import plan  # noqa: E402
from corpus.translate.run import translate_file  # noqa: E402


def unique_units(path, max_chars):
    total, seen = 0, {}
    for rec in read_records(path):
        for t in rec.turns:
            for u in plan(t.value, max_chars).units:
                total += 1
                seen[u] = None
    return total, list(seen)


def engine_alone(eng, sentences, workers):
    t0 = time.perf_counter()
    batches = [sentences[i:i + eng.batch_size] for i in range(0, len(sentences), eng.batch_size)]
    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(eng.translate_batch, batches))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=50)
    ap.add_argument("--scaling-sentences", type=int, default=120)
    args = ap.parse_args()
    src = DATA / "llava_instruct_sample50.json"
    if not src.exists():
        sys.exit(f"shared data absent: {src}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-translate-"))
    inp = tmp / "in.json"
    inp.write_text(json.dumps(json.loads(src.read_text())[:args.records]), encoding="utf-8")

    eng = BergamotEngine()
    eng.prepare()
    total, units = unique_units(inp, eng.max_chars)
    eng.translate_batch(units[:4])  # warm-up outside the timings

    a = engine_alone(eng, units, 2)
    t0 = time.perf_counter()
    st_b = translate_file(inp, tmp / "out_b.json", engine=eng, workers=2, cache=tmp / "tm.sqlite", show_progress=False)
    b = time.perf_counter() - t0
    t0 = time.perf_counter()
    st_c = translate_file(inp, tmp / "out_c.json", engine=eng, workers=2, cache=tmp / "tm.sqlite", show_progress=False)
    c = time.perf_counter() - t0

    few = units[:args.scaling_sentences]
    one = engine_alone(eng, few, 1)
    two = engine_alone(eng, few, 2)

    p_total, p_units = unique_units(DATA / "llava_pretrain_sample2k.json", eng.max_chars)

    print(f"records: {args.records}; segments: {total} total, {len(units)} unique")
    print(f"(a) engine alone, unique sentences, 2 threads: {a:.2f} s ({len(units) / a:.1f} seg/s)")
    print(f"(b) corpus translate end to end, fresh memory:  {b:.2f} s (engine calls {st_b['engine_calls']}, "
          f"fallbacks {st_b['token_fallbacks']}, rejected {st_b['rejected']})")
    print(f"(c) same command again:                         {c:.3f} s (engine calls {st_c['engine_calls']})")
    print(f"(b)/(a) = {b / a:.3f}   target <= 1.15")
    print(f"(c)/(b) = {c / b:.4f}  target < 0.05; engine calls in (c) = {st_c['engine_calls']} (target 0)")
    print(f"2 threads vs 1 thread on {len(few)} sentences: {one / two:.2f}x   target >= 1.7 "
          f"({len(few) / one:.1f} vs {len(few) / two:.1f} seg/s)")
    print(f"pretrain 2,183 records: {p_total} segments total, {len(p_units)} unique "
          f"({p_total / len(p_units):.1f}x repetition)")


if __name__ == "__main__":
    main()
