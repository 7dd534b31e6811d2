"""`corpus build` / `corpus export`: Hub-ready Parquet shards that load with `datasets`
and turn back into the exact LLaVA JSON."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import rec, shared_path, write_json
from corpus.build import build_repo, decode_row, encode_row, export_llava, repo_splits
from corpus.cli import app
from corpus.split import split_file

runner = CliRunner()


def load(repo: Path, tmp_path: Path):
    import datasets

    return datasets.load_dataset(str(repo), cache_dir=str(tmp_path / "hf-cache"))


def dumps(records) -> str:
    """Key order matters: compare serialised, not just as dicts."""
    return json.dumps(records, ensure_ascii=False)


@pytest.fixture(scope="module")
def pretrain_splits(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("splits")
    split_file(shared_path("llava", "llava_pretrain_sample2k.json"), out, "train=0.9,validation=0.05,test=0.05")
    return out


def test_built_folder_loads_with_datasets_and_round_trips(pretrain_splits, tmp_path):
    repo = tmp_path / "repo"
    stats = build_repo([pretrain_splits], repo, max_shard_size="150KB")
    shards = repo_splits(repo)
    assert len(shards["train"]) > 1  # several shards, named for the Hub
    assert [p.name for p in shards["train"]] == [f"train-{i:05d}-of-{len(shards['train']):05d}.parquet"
                                                 for i in range(len(shards["train"]))]
    ds = load(repo, tmp_path)
    assert list(ds) == ["train", "validation", "test"]
    for name in ds:
        source = [json.loads(x) for x in (pretrain_splits / f"{name}.jsonl").read_text().splitlines()]
        assert ds[name].num_rows == len(source) == stats["splits"][name]["records"]
        assert ds[name].column_names == ["id", "image", "conversations"]
        assert ds[name][0] == source[0]
        export_llava(repo, tmp_path / f"{name}.json", [name])
        assert dumps(json.loads((tmp_path / f"{name}.json").read_text())) == dumps(source)
    feats = ds["train"].features
    assert str(feats["id"].dtype) == "string" and str(feats["image"].dtype) == "string"
    assert stats["records_in"] == stats["records_out"] == 2183


def odd_records() -> list[dict]:
    """What real corpora do that Arrow dislikes: int ids next to string ids, text-only
    records, explicit null images, unknown keys, turn-level keys, meta, odd key order."""
    return [
        rec("a1", extra_key="kept"),
        {"id": 17, "image": "b.jpg", "conversations": [{"from": "human", "value": "<image>\nQ"},
                                                       {"from": "gpt", "value": "A", "weight": 0.5}]},
        {"id": "t1", "conversations": [{"from": "human", "value": "Sem imagem?"}, {"from": "gpt", "value": "Sim."}]},
        {"id": "n1", "image": None, "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "R"}]},
        {"conversations": [{"value": "<image>\nQ", "from": "human"}, {"from": "gpt", "value": "R"}], "id": "o1",
         "image": "c.jpg", "source": {"file": "x.json", "line": 3}},
        {"id": "m1", "image": "d.jpg", "conversations": [{"from": "human", "value": "<image>\nQ"},
                                                         {"from": "gpt", "value": "R"}],
         "meta": {"lang_label": "pt", "lang_score": 0.97, "engine": "bergamot"}},
    ]


def test_odd_records_round_trip_exactly_and_load(tmp_path):
    src = write_json(tmp_path / "train.json", odd_records())
    write_json(tmp_path / "test.json", [rec("z9", image="z.jpg")])
    repo = tmp_path / "repo"
    stats = build_repo([src, tmp_path / "test.json"], repo)
    assert stats["columns"] == ["id", "image", "conversations", "extra", "meta"]
    export_llava(repo, tmp_path / "back.json", ["train"])
    assert dumps(json.loads((tmp_path / "back.json").read_text())) == dumps(odd_records())
    ds = load(repo, tmp_path)
    assert ds["train"]["id"] == ["a1", "17", "t1", "n1", "o1", "m1"]  # Arrow-safe: all strings
    assert ds["train"]["image"][2] is None and ds["test"]["extra"] == [None]
    assert json.loads(ds["train"]["meta"][5])["lang_score"] == 0.97
    export_llava(repo, tmp_path / "all.jsonl")  # jsonl too, every split
    assert len((tmp_path / "all.jsonl").read_text().splitlines()) == 7


json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                          lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
                          max_leaves=6)


@st.composite
def llava_dicts(draw):
    turns = [{"from": draw(st.sampled_from(["human", "gpt"])), "value": draw(st.text(max_size=20))}
             for _ in range(draw(st.integers(0, 4)))]
    for t in turns:
        if draw(st.booleans()):
            t[draw(st.sampled_from(["weight", "lang"]))] = draw(json_value)
    d = {"id": draw(st.one_of(st.text(min_size=1, max_size=8), st.integers(-10**12, 10**12))),
         "conversations": turns}
    if draw(st.booleans()):
        d["image"] = draw(st.none() | st.text(min_size=1, max_size=10))
    for k in draw(st.lists(st.sampled_from(["source", "meta", "score"]), unique=True, max_size=3)):
        d[k] = draw(json_value)
    keys = draw(st.permutations(list(d)))
    return {k: d[k] for k in keys}


@settings(max_examples=200, deadline=None)
@given(llava_dicts())
def test_row_codec_round_trip(d):
    row = encode_row(d)
    assert isinstance(row["id"], str)
    assert dumps(decode_row(row)) == dumps(d)


def test_embedded_images_decode_and_missing_ones_are_rejected(tmp_path):
    root = shared_path("images", "llava_pretrain")
    records = json.loads((root / "records.json").read_text())[:12]
    records.append(rec("gone", image="00001/not-there.jpg"))
    src = write_json(tmp_path / "train.json", records)
    repo, rejects = tmp_path / "repo", tmp_path / "rejects.jsonl"
    stats = build_repo([src], repo, images_root=root, embed_images=True, rejects=rejects)
    assert stats["records_out"] == 12 and stats["rejected_by_reason"] == {"image_missing": 1}
    assert json.loads(rejects.read_text())["id"] == "gone"
    ds = load(repo, tmp_path)
    img = ds["train"][0]["image"]
    assert img.size[0] > 0 and img.format == "JPEG"
    raw = pq.read_table(repo_splits(repo)["train"][0]).column("image")[0].as_py()
    assert raw["path"] == records[0]["image"] and raw["bytes"] == (root / records[0]["image"]).read_bytes()
    export_llava(repo, tmp_path / "back.json")
    assert json.loads((tmp_path / "back.json").read_text()) == records[:12]


def test_rebuild_replaces_stale_shards(pretrain_splits, tmp_path):
    repo = tmp_path / "repo"
    build_repo([pretrain_splits], repo, max_shard_size="50KB")
    many = len(repo_splits(repo)["train"])
    build_repo([pretrain_splits / "train.jsonl"], repo)
    assert many > 2 and {k: len(v) for k, v in repo_splits(repo).items()} == {"train": 1}
    assert not [p for p in repo.iterdir() if p.name.startswith(".build-")]  # no staging left behind


def test_cli_build_writes_shards_and_card_and_export_inverts_it(tiny_json, tmp_path):
    split_file(tiny_json, tmp_path / "splits", "train=0.5,test=0.5")
    repo = tmp_path / "repo"
    r = runner.invoke(app, ["build", str(tmp_path / "splits"), "-o", str(repo)])
    assert r.exit_code == 0, r.output
    assert "records_out 3 + rejected 0 = records_in 3" in r.output and "card written to" in r.output
    assert (repo / "README.md").is_file() and (tmp_path / "repo.stats.json").is_file()
    r = runner.invoke(app, ["export", str(repo), "-o", str(tmp_path / "back.json")])
    assert r.exit_code == 0, r.output
    back = json.loads((tmp_path / "back.json").read_text())
    original = json.loads(tiny_json.read_text())
    assert sorted(map(dumps, back)) == sorted(map(dumps, original))
    r = runner.invoke(app, ["export", str(repo), "-o", str(tmp_path / "x.json"), "--split", "nope"])
    assert r.exit_code == 2 and r.output.startswith("Error: ") and "no split nope" in r.output


def test_cli_build_errors_are_one_line(tmp_path):
    r = runner.invoke(app, ["build", str(tmp_path / "missing"), "-o", str(tmp_path / "repo")])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1 and "no such file" in r.output
    (tmp_path / "empty").mkdir()
    r = runner.invoke(app, ["build", str(tmp_path / "empty"), "-o", str(tmp_path / "repo")])
    assert r.exit_code == 2 and "no split files found" in r.output
    write_json(tmp_path / "train.json", [rec("a")])
    r = runner.invoke(app, ["build", str(tmp_path / "train.json"), "-o", str(tmp_path / "repo"), "--embed-images"])
    assert r.exit_code == 2 and "--embed-images needs --images-root" in r.output
