"""Issue 6 benchmark: split + build + export vs the usual in-memory way, same run.

    python bench/bench_publish.py [--records 60000] [--repeat 2]

Corpus: the 50 real LLaVA-Instruct records replicated with new ids, three
conversations per image (as LLaVA-Instruct has). Side by side, best of N,
interleaved (the machine is shared):

- split:  `corpus split` (streamed, hash-assigned) vs json.load + shuffle + json.dump
  (the usual script; it cannot keep an image's conversations together nor stay stable);
- build:  `corpus build --no-card` vs datasets.load_dataset("json") + to_parquet per split;
- export: `corpus export` (Parquet -> LLaVA JSON) against build.

Prints seconds, records/s, peak RSS and the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

from _common import WORK, run_child, synthetic_corpus


def corpus(n: int) -> str:
    # three records per image, so splits have groups to keep together
    return str(synthetic_corpus(n, f"publish_{n}.json",
                                lambda r, i: dict(r, id=f"r{i:07d}", image=f"{i // 3:07d}.jpg")))


NAIVE_SPLIT = """
import json, random, sys, os
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
data = json.load(open(src, encoding="utf-8"))
random.Random(42).shuffle(data)
n = len(data); a, b = int(n * 0.98), int(n * 0.99)
for name, part in (("train", data[:a]), ("validation", data[a:b]), ("test", data[b:])):
    with open(f"{out}/{name}.jsonl", "w", encoding="utf-8") as f:
        for r in part:
            f.write(json.dumps(r, ensure_ascii=False) + "\\n")
"""

DATASETS_BUILD = """
import sys, datasets
src, out = sys.argv[1], sys.argv[2]
files = {s: f"{src}/{s}.jsonl" for s in ("train", "validation", "test")}
ds = datasets.load_dataset("json", data_files=files, cache_dir=out + "/.cache")
for s in ds:
    ds[s].to_parquet(f"{out}/data/{s}-00000-of-00001.parquet")
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=60_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    src = corpus(args.records)
    w = WORK / "publish"
    py = sys.executable
    cmds = {
        "split": {"corpus split": [py, "-m", "corpus", "split", src, "-o", f"{w}/splits"],
                  "json.load+shuffle": [py, "-c", NAIVE_SPLIT, src, f"{w}/naive"]},
        "build": {"corpus build": [py, "-m", "corpus", "build", f"{w}/splits", "-o", f"{w}/repo", "--no-card"],
                  "datasets json->parquet": [py, "-c", DATASETS_BUILD, f"{w}/splits", f"{w}/ds"]},
        "export": {"corpus export": [py, "-m", "corpus", "export", f"{w}/repo", "-o", f"{w}/back.json"]},
    }
    print(f"corpus: {args.records:,} records, {os.path.getsize(src) / 2**20:.0f} MB, 3 conversations per image")
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):
        shutil.rmtree(w, ignore_errors=True)
        for group in cmds.values():
            for name, argv in group.items():
                secs, rss, code = run_child(argv)
                if code != 0:
                    sys.exit(f"{name} failed with exit code {code}: {' '.join(argv)}")
                if name not in best or secs < best[name][0]:
                    best[name] = (secs, rss)
    print(f"{'':26}{'seconds':>9}{'records/s':>12}{'peak RSS MB':>13}")
    for name, (secs, rss) in best.items():
        print(f"{name:26}{secs:9.2f}{args.records / secs:12,.0f}{rss:13.0f}")
    ratio = lambda a, b: best[b][0] / best[a][0]  # noqa: E731  (>1: `a` is faster)
    print(f"split  speed ratio corpus/naive:    {ratio('corpus split', 'json.load+shuffle'):.2f}  "
          f"RSS ratio {best['corpus split'][1] / best['json.load+shuffle'][1]:.2f}")
    print(f"build  speed ratio corpus/datasets: {ratio('corpus build', 'datasets json->parquet'):.2f}  "
          f"RSS ratio {best['corpus build'][1] / best['datasets json->parquet'][1]:.2f}")
    print(f"export speed ratio export/build:    {ratio('corpus export', 'corpus build'):.2f}")
    back = json.load(open(f"{w}/back.json", encoding="utf-8"))
    print(f"export round trip: {len(back):,} records back of {args.records:,}")


if __name__ == "__main__":
    main()
