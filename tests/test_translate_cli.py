"""`corpus translate` through CliRunner, on the project's own example, with the real bergamot engine."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from corpus.cli import app
from corpus.io import read_records

runner = CliRunner()


def test_translate_example_then_rerun_from_memory(tiny_json, tmp_path):
    tm = tmp_path / "tm.sqlite"
    res = runner.invoke(app, ["translate", str(tiny_json), "--cache", str(tm), "--rps", "2", "--timeout", "5"])
    assert res.exit_code == 0, res.output
    out = tiny_json.with_name("llava_tiny.pt-BR.json")
    assert f"3 of 3 records translated to {out} (0 rejected); segments: 16 total, 16 unique, 0 from memory, " \
           "16 translated" in res.output
    recs = list(read_records(out))
    assert recs[0].turns[0].value.startswith("<image>\n") and recs[1].turns[0].value.endswith("\n<image>")
    assert "[0.12, 0.34, 0.56, 0.78]" in recs[1].turns[1].value and "\n2. " in recs[1].turns[1].value
    assert recs[2].extra["source"] == "example"

    res = runner.invoke(app, ["translate", str(tiny_json), "--cache", str(tm), "--keep-source", "-o", str(tmp_path / "b.jsonl")])
    assert res.exit_code == 0 and "16 from memory, 0 translated" in res.output
    stats = json.loads((tmp_path / "b.jsonl.stats.json").read_text())
    assert stats["engine_calls"] == 0 and stats["records_out"] == 3
    first = next(read_records(tmp_path / "b.jsonl"))
    assert first.extra["source_conversations"][0]["value"] == "<image>\nWhat is the color of the refrigerator in the kitchen?"


def test_bad_options_and_inputs_give_one_line_errors(tiny_json, tmp_path):
    cases = [
        (["--on-error", "ignore"], "--on-error must be one of reject, keep-source, fail"),
        (["--shard", "3/2"], "--shard 3/2: need 1 <= K <= N"),
        (["--engine", "nope"], "unknown engine 'nope'"),
    ]
    for extra, msg in cases:
        res = runner.invoke(app, ["translate", str(tiny_json), "--cache", str(tmp_path / "tm.sqlite"), *extra])
        assert res.exit_code == 2 and f"Error: {msg}" in res.output, res.output
    res = runner.invoke(app, ["translate", str(tmp_path / "missing.json")])
    assert res.exit_code == 2 and res.output.count("\n") == 1 and "no such file" in res.output


def test_help_is_documented():
    for name in ("translate", "merge-shards"):
        res = runner.invoke(app, [name, "--help"])
        assert res.exit_code == 0 and "Example: corpus " + name in " ".join(res.output.split())
