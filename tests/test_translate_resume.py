"""SIGKILL in the middle of `python -m corpus translate`, then the same command again.

The resumed run must finish with exactly the output of an uninterrupted run,
leave no half-written output behind the kill, and send no stored segment to
the engine again (counted through the stats JSON). Real bergamot engine.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import ROOT, shared_path, write_json


def cmd(inp, out, tm):
    return [sys.executable, "-m", "corpus", "translate", str(inp), "-o", str(out), "--cache", str(tm), "--workers", "2"]


def rows(tm) -> int:
    try:
        con = sqlite3.connect(tm, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM tm").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_sigkill_then_rerun_finishes_without_repeating_work(tmp_path):
    src = json.loads(shared_path("llava", "llava_instruct_sample50.json").read_text(encoding="utf-8"))[:4]
    inp = write_json(tmp_path / "in.json", src)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    # Reference: one uninterrupted run with its own memory.
    ref = subprocess.run(cmd(inp, tmp_path / "ref.json", tmp_path / "ref.sqlite"), env=env, capture_output=True, text=True)
    assert ref.returncode == 0, ref.stderr
    full = json.loads((tmp_path / "ref.json.stats.json").read_text())
    assert full["segments_unique"] >= 40

    # Killed run: wait until some segments are stored, then SIGKILL.
    out, tm = tmp_path / "out.json", tmp_path / "tm.sqlite"
    proc = subprocess.Popen(cmd(inp, out, tm), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while rows(tm) < 8 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = rows(tm)
    assert 0 < stored < full["segments_unique"], "the kill should land mid-run"
    assert not out.exists(), "a killed run must not leave an output"

    again = subprocess.run(cmd(inp, out, tm), env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    st = json.loads((tmp_path / "out.json.stats.json").read_text())
    assert out.read_text(encoding="utf-8") == (tmp_path / "ref.json").read_text(encoding="utf-8")
    assert st["memory_hits"] == stored
    assert st["segments_translated"] == full["segments_unique"] - stored
    assert st["engine_calls"] == full["engine_calls"] - stored if full["token_fallbacks"] == 0 else \
        st["engine_calls"] < full["engine_calls"]
    assert st["records_out"] + st["rejected"] == st["records_in"] == 4
