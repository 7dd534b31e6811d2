"""Issue 2 benchmark: `corpus validate` on a 158k-record (~230 MB) corpus vs json.load, same run.

    python bench/bench_validate.py [--records 158000]

Prints records/s and peak RSS for both, and the ratios. Targets: validate
throughput >= json.load's, validate peak RSS < 500 MB.
"""
from __future__ import annotations

import argparse
import sys

from _common import run_child, synthetic_corpus


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=158_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    path = synthetic_corpus(args.records, f"synthetic_{args.records}.json")
    size_mb = path.stat().st_size / 2**20
    print(f"corpus: {path.name}, {args.records:,} records, {size_mb:.0f} MB")
    cmds = {
        "json.load": [sys.executable, "-c", f"import json; json.load(open({str(path)!r}, encoding='utf-8'))"],
        "corpus validate": [sys.executable, "-m", "corpus", "validate", str(path)],
    }
    best = {}
    for _ in range(args.repeat):  # interleaved, best of N: the machine is shared
        for name, argv in cmds.items():
            secs, rss, code = run_child(argv)
            if code not in (0, 1):
                sys.exit(f"{name} failed with exit code {code}")
            if name not in best or secs < best[name][0]:
                best[name] = (secs, rss)
    print(f"{'':18}{'seconds':>9}{'records/s':>12}{'peak RSS MB':>13}")
    for name, (secs, rss) in best.items():
        print(f"{name:18}{secs:9.2f}{args.records / secs:12,.0f}{rss:13.0f}")
    (jl, jr), (vl, vr) = best["json.load"], best["corpus validate"]
    print(f"throughput ratio validate/json.load: {jl / vl:.2f} (target >= 1.0)")
    print(f"peak RSS validate: {vr:.0f} MB (target < 500 MB); json.load: {jr:.0f} MB")


if __name__ == "__main__":
    main()
