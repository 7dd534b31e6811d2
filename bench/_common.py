"""Shared bits for benchmarks: synthetic corpora from real records, timing a child process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
WORK = ROOT / "bench" / "_work"


def need_shared(*parts: str) -> Path:
    p = SHARED.joinpath(*parts)
    if not p.exists():
        sys.exit(f"skipped: {p} is absent (benchmarks read real data from ../shared/data)")
    return p


def write_replicated(path: Path, n: int, source: list[dict], make=None) -> Path:
    """Write a JSON list of `n` records cycling through `source`; `make(record, i)` renames them."""
    make = make or (lambda r, i: dict(r, id=f"{r['id']}-{i:06d}"))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("[\n")
        for i in range(n):
            f.write(("" if i == 0 else ",\n") + json.dumps(make(source[i % len(source)], i), ensure_ascii=False))
        f.write("\n]\n")
    os.replace(tmp, path)
    return path


def synthetic_corpus(n: int = 158_000, name: str = "synthetic_158k.json", make=None) -> Path:
    """Replicate the 50 real instruct records with new ids until `n` records (~300 MB at 158k)."""
    out = WORK / name
    if not out.exists():
        src = json.loads(need_shared("llava", "llava_instruct_sample50.json").read_text())
        write_replicated(out, n, src, make)
    return out


def _tree_rss_kb(pid: int) -> int:
    """RSS of a process and all its descendants, from /proc (kB)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_child(argv: list[str], sample_s: float = 0.05) -> tuple[float, float, int]:
    """Run a command; return (seconds, peak RSS in MB summed over its process tree, exit code)."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while p.poll() is None:
        peak = max(peak, _tree_rss_kb(p.pid))
        time.sleep(sample_s)
    secs = time.perf_counter() - t
    return secs, peak / 1024, p.returncode
