"""Every command that can drop a record writes it to a rejects file by default, beside its output.

Found in stop 14: `run` with a recipe whose `write` had no `rejects`, and `images`, `split`,
`build` and `augment` without `--rejects`, counted their drops but wrote them nowhere.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import rec, write_json
from corpus.cli import app

runner = CliRunner()

GOOD = rec("good", "<image>\nO que o homem está fazendo na foto?",
           "Ele está andando de bicicleta por uma rua movimentada da cidade, perto de uma praça.", image="a.jpg")
MISSING_IMAGE = rec("lost", "<image>\nO que há na imagem?", "Um gato dormindo no sofá da sala.", image="missing.jpg")
DATA = [GOOD, MISSING_IMAGE, "not a record"]


def _rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def work(tmp_path):
    from PIL import Image

    (tmp_path / "imgs").mkdir()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(tmp_path / "imgs" / "a.jpg")
    write_json(tmp_path / "in.json", DATA)
    return tmp_path


def _invoke(*args: str):
    return runner.invoke(app, list(args))


def test_run_without_rejects_in_the_recipe(work):
    (work / "r.yaml").write_text(
        f"name: t\nprocess:\n  - read: {{path: {work / 'in.json'}}}\n  - checks: {{}}\n"
        f"  - write: {{path: {work / 'out.json'}}}\n", encoding="utf-8")
    r = _invoke("run", str(work / "r.yaml"))
    assert r.exit_code in (0, 1), r.output
    rows = _rows(work / "out.json.rejects.jsonl")
    assert [x["reasons"] for x in rows] == [["schema"]]
    stats = json.loads((work / "out.json.stats.json").read_text())
    assert stats["rejects"] == str(work / "out.json.rejects.jsonl")
    assert stats["records_out"] + stats["rejected"] == stats["records_in"] == 3


def test_images_without_rejects(work):
    r = _invoke("images", str(work / "in.json"), "--images-root", str(work / "imgs"), "-o", str(work / "img.json"))
    assert r.exit_code in (0, 1), r.output
    rows = _rows(work / "img.json.rejects.jsonl")
    assert sorted(x["reasons"][0] for x in rows) == ["image_missing", "schema"]
    assert [x["id"] for x in rows if x["record"]] == ["lost"]


def test_split_without_rejects(work):
    r = _invoke("split", str(work / "in.json"), "-o", str(work / "split"))
    assert r.exit_code in (0, 1), r.output
    assert [x["reasons"] for x in _rows(work / "split" / "split.rejects.jsonl")] == [["schema"]]
    stats = json.loads((work / "split" / "split.stats.json").read_text())
    assert stats["rejects"] == str(work / "split" / "split.rejects.jsonl")


def test_build_without_rejects_writes_beside_the_repo_not_into_it(work):
    write_json(work / "train.json", [GOOD, MISSING_IMAGE])
    r = _invoke("build", str(work / "train.json"), "-o", str(work / "repo"), "--images-root", str(work / "imgs"))
    assert r.exit_code in (0, 1), r.output
    rows = _rows(work / "repo.rejects.jsonl")
    assert [(x["id"], x["reasons"][0]) for x in rows] == [("lost", "image_missing")]
    assert not list((work / "repo").rglob("*rejects*")), "push uploads the repo folder"


def test_augment_without_rejects(work):
    r = _invoke("augment", str(work / "in.json"), "-o", str(work / "aug.json"), "-m", "templates")
    assert r.exit_code in (0, 1), r.output
    assert [x["reasons"] for x in _rows(work / "aug.json.rejects.jsonl")] == [["schema"]]


@pytest.mark.parametrize("args", [
    ["filter", "{i}", "-o", "{d}/o.json", "--rejects", "{i}"],
    ["filter", "{i}", "-o", "{d}/o.json", "--stats", "{i}"],
    ["filter", "{i}", "-o", "{d}/o.json", "--rejects", "{d}/o.json"],
    ["validate", "{i}", "--report", "{i}"],
    ["translate", "{i}", "-o", "{i}"],
    ["translate", "{i}", "-o", "{d}/t.json", "--rejects", "{i}"],
    ["augment", "{i}", "-o", "{i}", "-m", "templates"],
    ["convert", "{i}", "{i}"],
    ["query", "{i}", "SELECT 1", "-o", "{i}"],
    ["report", "{i}", "-o", "{i}"],
    ["split", "{i}", "-o", "{d}/s", "--stats", "{i}"],
])
def test_no_command_overwrites_its_input(work, args):
    """Found in stop 14 (all exited 0): --rejects, --stats, --report or the output naming the
    input replaced it. Now a one-line usage error, exit 2, and the input is untouched."""
    src = work / "in.json"
    before = src.read_bytes()
    r = _invoke(*(a.format(i=src, d=work) for a in args))
    assert r.exit_code == 2, r.output
    assert "would overwrite a file this command reads" in r.output or "are the same file" in r.output
    assert len(r.output.strip().splitlines()) == 1
    assert src.read_bytes() == before


def test_a_recipe_whose_rejects_name_its_input_is_refused(work):
    (work / "r.yaml").write_text(
        f"process:\n  - read: {{path: {work / 'in.json'}}}\n  - checks: {{}}\n"
        f"  - write: {{path: {work / 'out.json'}, rejects: {work / 'in.json'}}}\n", encoding="utf-8")
    before = (work / "in.json").read_bytes()
    r = _invoke("run", str(work / "r.yaml"))
    assert r.exit_code == 2 and "would overwrite a file this command reads (input)" in r.output
    assert (work / "in.json").read_bytes() == before


def test_an_object_that_breaks_the_schema_is_kept_whole_in_the_rejects(work):
    """Found in stop 14: such items were written with "record": null, their content lost."""
    broken = {"id": "nc", "image": "x/9.jpg", "source": "kept?"}  # no conversations
    write_json(work / "b.json", [GOOD, broken, "not a record"])
    r = _invoke("filter", str(work / "b.json"), "-o", str(work / "o.json"), "--lang", "none", "--variant", "none")
    assert r.exit_code in (0, 1), r.output
    by_id = {x["id"]: x for x in _rows(work / "o.json.rejects.jsonl")}
    assert set(by_id) == {"nc", None}
    assert by_id["nc"]["record"] == broken and by_id["nc"]["reasons"] == ["schema"]
    assert by_id[None]["record"] is None  # a string never was an object; its position says where


def test_convert_writes_its_rejects_and_stats(work):
    """Found in stop 14: convert counted bad items and wrote them nowhere, with no stats."""
    r = _invoke("convert", str(work / "in.json"), str(work / "m.jsonl"))
    assert r.exit_code == 1 and "1 bad input items in" in " ".join(r.output.split())
    assert [x["reasons"] for x in _rows(work / "m.jsonl.rejects.jsonl")] == [["schema"]]
    stats = json.loads((work / "m.jsonl.stats.json").read_text())
    assert (stats["records_in"], stats["records_out"], stats["rejected"]) == (3, 2, 1)
    r = _invoke("convert", str(work / "m.jsonl"), str(work / "back.json"), "--to", "llava")
    assert r.exit_code == 0 and json.loads((work / "back.json").read_text()) == [GOOD, MISSING_IMAGE]


@pytest.mark.parametrize("make, args, message", [
    (lambda d: (d / "fake.parquet").write_text("[]"), ["validate", "{d}/fake.parquet"],
     "fake.parquet: [format] not a readable Parquet file"),
    (lambda d: (d / "dir.json").mkdir(), ["validate", "{d}/dir.json"], "dir.json: [unreadable] a folder, not a file"),
    (None, ["validate", "{d}/in.json", "--images-root", "{d}/nowhere"], "--images-root {d}/nowhere: not a folder"),
    (None, ["filter", "{d}/in.json", "-o", "{d}/o.json", "--lid-model", "{d}/in.json"],
     "in.json: not a fastText language-ID model"),
    (None, ["translate", "{d}/in.json", "-o", "{d}/t.json", "--cache", "{d}/in.json"],
     "in.json: --cache would overwrite a file this command reads"),
    (lambda d: (d / "tm.json").write_text("{}"), ["translate", "{d}/in.json", "-o", "{d}/t.json", "--cache", "{d}/tm.json"],
     "tm.json: not a translation memory (SQLite)"),
    (lambda d: write_json(d / "g.json", [GOOD]), ["report", "{d}/g.json", "-o", "{d}/r.html", "--rejects", "{d}/g.json"],
     "g.json: [rejects] not a rejects JSON-lines file"),
])
def test_wrong_kind_of_file_is_a_one_line_error_naming_it(work, make, args, message):
    """Found in stop 14: these said "unexpected ArrowInvalid/DatabaseError/ValueError" without the file."""
    if make:
        make(work)
    r = _invoke(*(a.format(d=work) for a in args))
    assert r.exit_code == 2, r.output
    out = " ".join(r.output.split())
    assert message.format(d=work) in out and "unexpected" not in out
