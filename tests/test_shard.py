"""--shard K/N splits by id hash; merge-shards puts outputs (and memories) back in input order."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import EXAMPLES, rec, write_json
from corpus.cli import app
from corpus.errors import UsageError
from corpus.io import read_records
from corpus.translate.bergamot import BergamotEngine
from corpus.translate.run import translate_file
from corpus.translate.shard import in_shard, parse_shard, shard_of


def test_parse_shard():
    assert parse_shard("2/4") == (2, 4) and parse_shard(None) is None
    for bad in ("0/2", "3/2", "a/b", "2"):
        with pytest.raises(UsageError):
            parse_shard(bad)


def test_every_id_lands_in_exactly_one_shard_and_it_is_stable():
    ids = list(range(200)) + [f"id-{i}" for i in range(200)]
    for n in (1, 3, 7):
        for i in ids:
            assert sum(in_shard(i, k, n) for k in range(1, n + 1)) == 1
    assert shard_of(7, 5) == shard_of("7", 5)
    counts = [sum(shard_of(i, 3) == k for i in ids) for k in (1, 2, 3)]
    assert min(counts) > 100  # roughly balanced


def test_shards_merge_back_to_the_full_run(tmp_path):
    base = json.loads((EXAMPLES / "llava_tiny.json").read_text(encoding="utf-8"))
    more = [rec(f"r{i}", f"<image>\nWhat is object number {i}?", f"It is a {c} ball.")
            for i, c in enumerate(["red", "blue", "green", "white", "black", "small", "big"])]
    inp = write_json(tmp_path / "in.json", base + more + [["not a record"]])
    eng = BergamotEngine()
    shards = []
    for k in (1, 2):
        st = translate_file(inp, engine=eng, shard=f"{k}/2", cache=tmp_path / f"tm{k}.sqlite", show_progress=False)
        assert st["output"].endswith(f"in.pt-BR.shard-{k}-of-2.json") and st["records_out"] > 0
        shards.append(st)
    assert sum(s["records_in"] for s in shards) == 11 and sum(s["rejected"] for s in shards) == 1

    merged = tmp_path / "merged.json"
    res = CliRunner().invoke(app, ["merge-shards", str(inp), shards[1]["output"], shards[0]["output"], "-o", str(merged),
                                   "--memory", str(tmp_path / "tm1.sqlite"), "--memory", str(tmp_path / "tm2.sqlite"),
                                   "--cache", str(tmp_path / "all.sqlite")])
    assert res.exit_code == 0, res.output
    assert "10 records from 2 shards written to" in res.output
    assert [r.id for r in read_records(merged)] == [d["id"] for d in base + more]

    # The merged memory holds every segment: the full run makes no engine call and gives the same corpus.
    full = translate_file(inp, tmp_path / "full.json", engine=eng, cache=tmp_path / "all.sqlite", show_progress=False)
    assert full["engine_calls"] == 0 and full["memory_hits"] == full["segments_unique"] > 0
    assert (tmp_path / "full.json").read_text() == merged.read_text()


def test_merge_refuses_shards_of_another_input(tmp_path):
    a = write_json(tmp_path / "a.json", [rec("x"), rec("y")])
    other = write_json(tmp_path / "o.json", [rec("z")])
    res = CliRunner().invoke(app, ["merge-shards", str(a), str(other), "-o", str(tmp_path / "m.json")])
    assert res.exit_code == 2 and "not in" in res.output and not (tmp_path / "m.json").exists()
