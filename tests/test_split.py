"""`corpus split`: grouped, hash-assigned, stable splits."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import rec, shared_path, write_json
from corpus.cli import app
from corpus.errors import UsageError
from corpus.split import assign, group_key, parse_ratios, split_file
from corpus.record import Record

runner = CliRunner()
HALVES = "train=0.5,validation=0.25,test=0.25"  # big shares so a leak would show on 2k records


def read_split(out_dir: Path, name: str, fmt: str = "jsonl") -> list[dict]:
    p = out_dir / f"{name}.{fmt}"
    if fmt == "json":
        return json.loads(p.read_text(encoding="utf-8"))
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]


def images_by_split(out_dir: Path, names=("train", "validation", "test")) -> dict[str, set[str]]:
    return {n: {r["image"] for r in read_split(out_dir, n) if r.get("image")} for n in names}


@pytest.fixture(scope="module")
def pretrain() -> list[dict]:
    return json.loads(shared_path("llava", "llava_pretrain_sample2k.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reused(pretrain, tmp_path_factory) -> Path:
    """The 2,183 pretrain records plus two more conversations per image, as LLaVA-Instruct has
    (conversation, detail, reasoning about one COCO picture): 6,549 records, 2,183 images."""
    records = []
    for r in pretrain:
        records.append(r)
        for tag in ("detail", "reasoning"):
            records.append({"id": f"{r['id']}-{tag}", "image": r["image"], "conversations": [
                {"from": "human", "value": f"<image>\nDescribe the image ({tag})."},
                {"from": "gpt", "value": r["conversations"][1]["value"]}]})
    return write_json(tmp_path_factory.mktemp("reused") / "reused.json", records)


def test_no_image_in_two_splits_on_the_pretrain_records(pretrain, tmp_path):
    src = shared_path("llava", "llava_pretrain_sample2k.json")
    stats = split_file(src, tmp_path / "out", HALVES)
    imgs = images_by_split(tmp_path / "out")
    assert not (imgs["train"] & imgs["validation"] or imgs["train"] & imgs["test"] or imgs["validation"] & imgs["test"])
    out_ids = sorted(r["id"] for n in ("train", "validation", "test") for r in read_split(tmp_path / "out", n))
    assert out_ids == sorted(r["id"] for r in pretrain) and len(out_ids) == 2183
    assert stats["records_in"] == stats["records_out"] == 2183 and stats["groups_in_two_splits"] == 0


def test_records_sharing_an_image_stay_together_and_by_id_would_leak(reused, tmp_path):
    stats = split_file(reused, tmp_path / "img", HALVES, by="image")
    imgs = images_by_split(tmp_path / "img")
    assert sum(len(s) for s in imgs.values()) == 2183  # each image in exactly one split
    assert stats["records_out"] == 6549 and stats["groups_in_two_splits"] == 0
    assert {n: s["groups"] for n, s in stats["splits"].items()} == {n: len(s) for n, s in imgs.items()}
    # The control: splitting the same corpus by id puts most images in two or three splits.
    split_file(reused, tmp_path / "id", HALVES, by="id")
    leaked = images_by_split(tmp_path / "id")
    assert len(leaked["train"] & (leaked["validation"] | leaked["test"])) > 500


def test_split_is_stable_when_ten_percent_new_records_arrive(pretrain, tmp_path):
    old = [r for i, r in enumerate(pretrain) if i % 10]  # 90 % now, the rest arrives later
    new = [r for i, r in enumerate(pretrain) if not i % 10]
    first = split_file(write_json(tmp_path / "v1.json", old), tmp_path / "v1", HALVES, seed=7)
    # New records interleaved at the front and the end: order must not matter either.
    grown = new[: len(new) // 2] + old + new[len(new) // 2:]
    second = split_file(write_json(tmp_path / "v2.json", grown), tmp_path / "v2", HALVES, seed=7)
    where = {n: {r["id"] for r in read_split(tmp_path / "v1", n)} for n in first["splits"]}
    where2 = {n: {r["id"] for r in read_split(tmp_path / "v2", n)} for n in second["splits"]}
    assert len(new) == 219 and second["records_out"] == first["records_out"] + 219
    for name in where:
        assert where[name] <= where2[name], f"records moved out of {name}"
    # The shares follow the ratios (hashing is uniform enough on 2k groups).
    assert 0.45 < second["splits"]["train"]["records"] / 2183 < 0.55
    # Another seed gives another split.
    split_file(write_json(tmp_path / "v3.json", old), tmp_path / "v3", HALVES, seed=8)
    assert {r["id"] for r in read_split(tmp_path / "v3", "test")} != where["test"]


def test_text_only_records_group_by_id_and_image_name_folds_prefixes(tmp_path):
    records = [rec("q1", "Which is a mammal?", "(B)", image=None), rec("q1", "Again?", "(B)", image=None),
               rec("a", image="coco/train2017/000000000009.jpg"), rec("b", image="000000000009.jpg"),
               rec("c", image="./coco//train2017/000000000009.jpg")]
    keys = [group_key(Record.from_dict(r), "image") for r in records]
    assert keys[0] == keys[1] == "id:q1"
    assert keys[2] == keys[4] != keys[3]  # the same path, spelled two ways
    names = {group_key(Record.from_dict(r), "image-name") for r in records[2:]}
    assert names == {"image:000000000009.jpg"}
    ratios = parse_ratios(HALVES)
    for seed in range(20):  # whatever the seed, a group never splits
        assert len({assign(k, ratios, seed) for k in keys[:2]}) == 1


def test_parse_ratios_rejects_what_cannot_be_a_split():
    assert parse_ratios("train=0.9, test=0.1") == {"train": 0.9, "test": 0.1}
    assert parse_ratios(None) == {"train": 0.98, "validation": 0.01, "test": 0.01}
    for bad, why in [("train=0.9,test=0.2", "sum to 1"), ("train=0.5,train=0.5", "twice"),
                     ("train", "name=share"), ("tr ain=1", "letters"), ("train=x", "not a number"),
                     ("train=1.5,test=-0.5", "between 0 and 1")]:
        with pytest.raises(UsageError, match=why):
            parse_ratios(bad)


def test_cli_prints_split_sizes_and_counts_bad_items(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [json.dumps(rec(f"r{i}", image=f"{i}.jpg")) for i in range(40)] + ["{not json", json.dumps({"id": 1})]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.jsonl"
    r = runner.invoke(app, ["split", str(src), "-o", str(tmp_path / "out"), "--ratios", "train=0.8,test=0.2",
                            "--rejects", str(rejects), "--format", "json"])
    assert r.exit_code == 1, r.output  # bad input items were found (and kept in rejects)
    stats = json.loads((tmp_path / "out" / "split.stats.json").read_text())
    sizes = {n: len(read_split(tmp_path / "out", n, "json")) for n in ("train", "test")}
    assert sizes == {n: s["records"] for n, s in stats["splits"].items()} and sum(sizes.values()) == 40
    for name, n in sizes.items():
        assert f"│ {name}" in r.output and f"{n:,}" in r.output
    assert "records_out 40 + rejected 2 = records_in 42" in r.output
    assert stats["rejected_by_reason"] == {"malformed_json": 1, "schema": 1}
    assert [json.loads(x)["reasons"] for x in rejects.read_text().splitlines()] == [["malformed_json"], ["schema"]]


def test_cli_bad_ratios_is_one_line(tiny_json, tmp_path):
    r = runner.invoke(app, ["split", str(tiny_json), "-o", str(tmp_path / "o"), "--ratios", "train=0.7,test=0.2"])
    assert r.exit_code == 2
    assert r.output.strip().splitlines() == ["Error: --ratios: shares must sum to 1, got 0.9"]


def test_split_files_of_another_run_are_refused_not_published(tmp_path):
    """Found in stop 14: a 2-way split into the folder of a 3-way one left validation.jsonl
    there, and `corpus build` published it, its images also in train and test."""
    src = write_json(tmp_path / "in.json", [rec(f"r{i}", image=f"{i}.jpg") for i in range(40)])
    out = tmp_path / "s"
    split_file(src, out)
    split_file(src, out)  # the same split again: the same files, resumable
    with pytest.raises(UsageError, match=r"holds validation\.jsonl from another split"):
        split_file(src, out, "train=0.5,test=0.5")
    with pytest.raises(UsageError, match=r"holds test\.jsonl, train\.jsonl, validation\.jsonl"):
        split_file(src, out, fmt="parquet")
    assert sorted(p.name for p in out.iterdir()) == ["split.rejects.jsonl", "split.stats.json",
                                                     "test.jsonl", "train.jsonl", "validation.jsonl"]
