"""Benchmark: named queries and `corpus report` on a 158k-record LLaVA JSON, next to DuckDB's bare count.

The corpus is the 50 real LLaVA-Instruct records of ../shared/data, replicated
with new ids into a temp dir (never the repo). Each named query is timed right
after a bare ``SELECT count(*) FROM read_json(...)`` so that the ratio compares
two runs under the same machine load; the best ratio of --repeat runs is kept.
The report runs in a child process, whose peak RSS comes from getrusage.

    python bench/bench_query_report.py [--records 158000] [--repeat 2] [--keep DIR] [--lang en|pt]

--lang translated adds meta scores, kept source turns and a 1 % rejects file, so
every named query runs (the file is then ~770 MB: pt-BR text plus its source).

Targets (issue 5): each named query <= 3x the bare count, report <= 30 s, peak RSS <= 1 GB.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import write_replicated

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "llava" / "llava_instruct_sample50.json"
PT_BR = ROOT.parent / "shared" / "data" / "parallel" / "ntrex128.dev.pt-BR"


def portuguese(base: list[dict]) -> list[dict]:
    """The same records with each turn's text swapped for human pt-BR news sentences of about its length."""
    lines = [x for x in PT_BR.read_text(encoding="utf-8").splitlines() if x.strip()]
    k = 0
    out = []
    for r in base:
        turns = []
        for t in r["conversations"]:
            text = ""
            while len(text) < len(t["value"].replace("<image>", "")):
                text += (" " if text else "") + lines[k % len(lines)]
                k += 1
            if "<image>" in t["value"]:
                text = "<image>\n" + text
            turns.append({"from": t["from"], "value": text})
        out.append({**r, "conversations": turns})
    return out


def make_corpus(path: Path, n: int, lang: str = "en") -> Path | None:
    """Write the corpus; for "translated" also meta scores, kept source turns and a rejects file."""
    source = json.loads(SAMPLE.read_text(encoding="utf-8"))
    base = portuguese(source) if lang in ("pt", "translated") else source
    if lang == "translated":
        for i, (r, src) in enumerate(zip(base, source)):
            r["source_conversations"] = src["conversations"]
            r["meta"] = {"lang_label": "pt", "lang_score": round(0.5 + (i % 50) / 100, 2),
                         "variant_ptbr": round(0.3 + (i % 70) / 100, 2), "engine": "bergamot"}
    rejects = path.with_suffix(".rejects.jsonl") if lang == "translated" else None
    write_replicated(path, n, base, lambda r, i: dict(r, id=f"{r['id']}-{i // len(base)}"))
    if rejects:  # 1 % rejected, in corpus.rejects' line format
        with open(rejects, "w", encoding="utf-8") as f:
            for i in range(n // 100):
                r = dict(source[i % len(source)], id=f"rej-{i}")
                reason = ("lang_not_target", "placeholder_missing", "untranslated_turn")[i % 3]
                f.write(json.dumps({"id": r["id"], "stage": "filter", "reasons": [reason], "detail": "",
                                    "record": r}, ensure_ascii=False) + "\n")
    return rejects


def timed(con, sql: str) -> float:
    t = time.perf_counter()
    con.execute(sql).fetchall()
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=158_000)
    ap.add_argument("--repeat", type=int, default=2, help="runs per query; the best ratio is kept")
    ap.add_argument("--keep", type=Path, help="generate (or reuse) the corpus here instead of a temp dir")
    ap.add_argument("--lang", choices=["en", "pt", "translated"], default="en",
                    help="pt: turn texts swapped for real pt-BR sentences (NTREX-128); translated: pt plus meta "
                         "scores, kept source turns and a rejects file, so every named query runs")
    args = ap.parse_args()
    for needed in [SAMPLE] + ([PT_BR] if args.lang != "en" else []):
        if not needed.exists():
            print(f"skip: {needed} is absent (real data lives in ../shared/data)")
            return 0

    from corpus.queries import named_queries
    from corpus.query import open_corpus, q

    tmp = tempfile.TemporaryDirectory(prefix="bench_query_")
    folder = args.keep or Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"llava_{args.lang}_{args.records}.json"
    rejects = path.with_suffix(".rejects.jsonl") if args.lang == "translated" else None
    if not path.exists():
        t = time.perf_counter()
        make_corpus(path, args.records, args.lang)
        print(f"generated {path} ({args.records:,} records, {path.stat().st_size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - t:.1f} s")
    # The report runs first, while this process is still small: a child's peak RSS counts
    # the parent's pages it starts with, so after the queries below it read ~400 MB high.
    out = folder / "report.html"
    t = time.perf_counter()
    extra = ["--rejects", str(rejects)] if rejects else []
    done = subprocess.run([sys.executable, "-m", "corpus", "report", str(path), "-o", str(out), *extra],
                          capture_output=True, text=True, cwd=ROOT)
    report_s = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode:
        print(f"report failed: {done.stderr.strip()}")
        return 1
    bare_sql = f"SELECT count(*) FROM read_json({q(path)})"
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    rows = []
    with open_corpus([path], rejects) as c:
        for name, nq in named_queries().items():
            if nq.missing(c.catalog):
                rows.append((name, None, None, None, f"skipped: needs {', '.join(nq.missing(c.catalog))}"))
                continue
            best = None
            for _ in range(args.repeat):
                bare = timed(c.con, bare_sql)
                took = timed(c.con, nq.sql)
                if best is None or took / bare < best[2]:
                    best = (took, bare, took / bare)
            rows.append((name, *best, "ok" if best[2] <= 3 else "over 3x"))
    print(f"\n{'named query':26s} {'seconds':>8s} {'bare count':>10s} {'ratio':>6s}  target <= 3x")
    for name, took, bare, ratio, verdict in rows:
        if took is None:
            print(f"{name:26s} {'':>8s} {'':>10s} {'':>6s}  {verdict}")
        else:
            print(f"{name:26s} {took:8.2f} {bare:10.2f} {ratio:6.2f}  {verdict}")

    with open_corpus([path]) as c:
        bare = timed(c.con, bare_sql)
    print(f"\nreport: {report_s:.1f} s (target <= 30 s; {report_s / bare:.1f}x the bare count {bare:.2f} s), "
          f"peak RSS {peak_mb:.0f} MB (target <= 1024 MB), {out.stat().st_size / 1e3:.0f} KB HTML")
    over = [r[0] for r in rows if r[4] == "over 3x"]
    print(f"summary: {len(rows) - len(over)}/{len(rows)} named queries within 3x (or skipped)"
          + (f"; over: {', '.join(over)}" if over else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
