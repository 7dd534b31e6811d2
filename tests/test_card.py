"""`corpus card`: YAML that parses and validates, a body whose numbers are the stats files'.

The translate and filter stats here are written by the test in the shape those
commands write (corpus/translate/runfile.py; a filter's rejected_by_reason and
thresholds): the card only reads them. split and build run for real.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from huggingface_hub import DatasetCard
from typer.testing import CliRunner

from conftest import rec, write_json
from corpus.build import build_repo
from corpus.card import check_card, collect_stats, size_category, write_card
from corpus.cli import app
from corpus.split import split_file

runner = CliRunner()
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def corpus_records(n: int) -> list[dict]:
    out = []
    for i in range(n):
        r = rec(f"r{i:05d}", "<image>\nO que há na imagem?", "Um gato " + "muito " * (i % 7) + "grande.",
                image=f"{i // 2:05d}.jpg" if i % 5 else None)
        if r.get("image") is None:
            r["conversations"][0]["value"] = "Qual é a capital do Brasil?"
        r["meta"] = {"lang_label": "pt" if i % 9 else "es", "lang_score": round(0.5 + (i % 50) / 100, 2),
                     "variant_ptbr": round((i % 10) / 10 + 0.05, 2)}
        out.append(r)
    return out


def write_pipeline(tmp_path: Path, n: int = 40) -> dict[str, Path]:
    """translate -> filter (stats only) -> split -> build (real)."""
    src = tmp_path / "llava_instruct_150k.json"
    translated, filtered = tmp_path / "t.jsonl", tmp_path / "f.jsonl"
    write_json(Path(f"{translated}.stats.json"), {
        "command": "translate", "input": str(src), "output": str(translated), "rejects": str(tmp_path / "r.jsonl"),
        "records_in": n + 5, "records_out": n + 5, "rejected": 0, "rejected_by_reason": {},
        "engine": "bergamot", "engine_version": "0.2.0+en-pt", "memory_hits": 4321, "engine_calls": 17,
        "segments_total": 9876, "segments_unique": 5555, "segments_translated": 1234, "segments_failed": 0,
        "memory": str(tmp_path / "tm.sqlite"), "roles": ["human", "gpt"], "seconds": 12.25})
    write_json(Path(f"{filtered}.stats.json"), {
        "command": "filter", "input": str(translated), "output": str(filtered),
        "records_in": n + 5, "records_out": n, "rejected": 5,
        "rejected_by_reason": {"lang_not_target": 3, "variant_pt_pt": 2},
        "thresholds": {"min_lang_score": 0.8, "min_variant_ptbr": 0.35}, "seconds": 0.75})
    filtered.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus_records(n)))
    split_file(filtered, tmp_path / "splits", "train=0.8,test=0.2")
    build_repo([tmp_path / "splits"], tmp_path / "repo")
    return {"repo": tmp_path / "repo", "build_stats": tmp_path / "repo.stats.json"}


def stats_numbers(paths) -> set[str]:
    """Every number written in the stats files, values and numbers inside strings alike."""
    found: set[str] = set()

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, bool) or v is None:
            return
        elif isinstance(v, (int, float)):
            found.add(str(v))
        else:
            found.update(m.replace(",", "") for m in NUMBER.findall(str(v)))

    for p in paths:
        walk(json.loads(Path(p).read_text()))
    return found


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) + len(start): text.index(end)]


@pytest.fixture
def pipeline(tmp_path):
    return write_pipeline(tmp_path)


def test_card_yaml_parses_validates_and_says_pt_br(pipeline):
    path = write_card(pipeline["repo"], [pipeline["build_stats"]])
    assert check_card(path) == []
    data = DatasetCard.load(path).data.to_dict()
    assert data["language"] == ["pt"] and data["language_details"] == "pt-BR"
    assert data["license"] == "cc-by-nc-4.0"
    assert data["task_categories"] == ["visual-question-answering", "image-text-to-text"]
    assert data["size_categories"] == ["n<1K"] and data["annotations_creators"] == ["machine-generated"]
    assert data["multilinguality"] == ["monolingual"]
    assert data["source_datasets"] == ["liuhaotian/LLaVA-Instruct-150K"]  # from the source file's name
    split_stats = json.loads((pipeline["repo"].parent / "splits" / "split.stats.json").read_text())
    assert data["configs"] == [{"config_name": "default", "data_files": [
        {"split": s, "path": f"data/{s}-*"} for s, v in split_stats["splits"].items() if v["records"]]}]
    assert [size_category(n) for n in (999, 1000, 99_999, 250_000, 5_000_000)] == \
        ["n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M"]


def test_card_numbers_are_the_stats_files_numbers(pipeline, tmp_path):
    path = write_card(pipeline["repo"], [pipeline["build_stats"]])
    text = path.read_text()
    stages = collect_stats([pipeline["build_stats"]])
    assert [s["command"] for _, s in stages] == ["translate", "filter", "split", "build"]
    body = section(text, "<!-- corpus:pipeline -->", "<!-- /corpus:pipeline -->")
    assert "translation engine: `bergamot`, version `0.2.0+en-pt`" in body
    assert "memory hits: 4,321" in body and "engine calls: 17" in body and "segments total: 9,876" in body
    assert "`min_lang_score` = 0.8, `min_variant_ptbr` = 0.35" in body
    assert "| `lang_not_target` | 3 |" in body and "| `variant_pt_pt` | 2 |" in body
    assert "records in: 45; records out: 40; rejected: 5" in body
    assert "`llava_instruct_150k.json`: 45 records read" in body
    assert str(tmp_path) not in text  # local paths are never published
    # Nothing invented: every number in the pipeline section is in a stats file.
    body = re.sub(r"^#### \d+\. ", "", body, flags=re.M)
    printed = {m.replace(",", "") for m in NUMBER.findall(body)}
    assert printed <= stats_numbers(p for p, _ in stages), printed - stats_numbers(p for p, _ in stages)


def split_records(pipeline) -> dict[str, list[dict]]:
    return {name: [json.loads(x) for x in (pipeline["repo"].parent / "splits" / f"{name}.jsonl").read_text()
                   .splitlines()] for name in ("train", "test")}


def test_quality_figures_match_the_data(pipeline):
    text = write_card(pipeline["repo"], [pipeline["build_stats"]]).read_text()
    records = {name: [json.loads(x) for x in (pipeline["repo"].parent / "splits" / f"{name}.jsonl").read_text()
                      .splitlines()] for name in ("train", "test")}
    for name, rs in records.items():
        gpt = [sum(len(t["value"]) for t in r["conversations"] if t["from"] == "gpt") for r in rs]
        with_image = [r for r in rs if r.get("image")]
        row = (f"| `{name}` | {len(rs):,} | {len(with_image):,} | {len({r['image'] for r in with_image}):,} | "
               f"{sum(len(r['conversations']) for r in rs):,} | {sum(gpt) / len(gpt):,.1f} | "
               f"{sum(t['value'].count('<image>') for r in rs for t in r['conversations']):,} |")
        assert row in text
        scores = [r["meta"]["lang_score"] for r in rs]
        lang_row = (f"| `{name}` | {len(rs):,} | {sum(scores) / len(scores):.3f} | "
                    f"{sum(r['meta']['lang_label'] != 'pt' for r in rs):,} | "
                    f"{sum(r['meta']['variant_ptbr'] for r in rs) / len(rs):.3f} | "
                    f"{sum(r['meta']['variant_ptbr'] < 0.5 for r in rs):,} |")
        assert lang_row in text


def test_named_query_overview_matches_the_data(pipeline):
    pytest.importorskip("corpus.query", reason="the named queries come with corpus/query.py")
    text = write_card(pipeline["repo"], [pipeline["build_stats"]]).read_text()
    every = [r for rs in split_records(pipeline).values() for r in rs]
    overview = (f"| {len(every):,} | {sum(len(r['conversations']) for r in every):,} | "
                f"{sum(len(t['value']) for r in every for t in r['conversations']):,} | "
                f"{sum(1 for r in every if r.get('image')):,} | {sum(1 for r in every if not r.get('image')):,} | "
                f"{len({r['image'] for r in every if r.get('image')}):,} | "
                f"{sum(t['value'].count('<image>') for r in every for t in r['conversations']):,} | 2 |")
    assert overview in text


def test_absent_stats_are_omitted_not_invented(tmp_path):
    write_json(tmp_path / "train.json", [rec("a"), rec("b", image=None)])
    build_repo([tmp_path / "train.json"], tmp_path / "repo")
    text = write_card(tmp_path / "repo").read_text()
    assert "No stats files were given" in text and "translation engine" not in text
    assert "| dropped because |" not in text and "Splits are grouped" not in text
    assert "source_datasets" not in DatasetCard.load(tmp_path / "repo" / "README.md").data.to_dict()
    assert check_card(tmp_path / "repo" / "README.md") == []


def edit_yaml(path: Path, change) -> None:
    text = path.read_text()
    _, head, body = text.split("---", 2)
    meta = yaml.safe_load(head)
    change(meta)
    path.write_text("---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---" + body)


def test_regenerating_keeps_hand_edits(tmp_path):
    write_json(tmp_path / "train.json", [rec(f"a{i}") for i in range(10)])
    repo = tmp_path / "repo"
    build_repo([tmp_path / "train.json"], repo)
    readme = write_card(repo, pretty_name=None)

    def by_hand(meta):
        meta["pretty_name"] = "Meu LLaVA"
        meta["homepage"] = "https://example.org/llava-ptbr"
        del meta["tags"]

    edit_yaml(readme, by_hand)
    write_json(tmp_path / "train.json", [rec(f"a{i}") for i in range(1200)])  # the data grows
    build_repo([tmp_path / "train.json"], repo)
    data = DatasetCard.load(write_card(repo)).data.to_dict()
    assert data["pretty_name"] == "Meu LLaVA" and data["homepage"] == "https://example.org/llava-ptbr"
    assert "tags" not in data  # deleted by hand stays deleted
    assert data["size_categories"] == ["1K<n<10K"]  # untouched generated field follows the data
    assert "# Meu LLaVA" in readme.read_text()
    # An explicit --license applies, and then sticks like a hand edit.
    assert DatasetCard.load(write_card(repo, license="cc-by-4.0")).data.license == "cc-by-4.0"
    assert DatasetCard.load(write_card(repo)).data.license == "cc-by-4.0"
    assert check_card(readme) == []


def test_cli_card_writes_checks_and_reports_problems(pipeline):
    repo = pipeline["repo"]
    r = runner.invoke(app, ["card", str(repo), "--stats", str(pipeline["build_stats"]), "--license", "cc-by-nc-sa-4.0",
                            "--repo-id", "lab/llava-ptbr"])
    assert r.exit_code == 0, r.output
    assert "valid dataset card" in r.output
    text = (repo / "README.md").read_text()
    assert 'load_dataset("lab/llava-ptbr")' in text and "non-commercial research use only" in text
    edit_yaml(repo / "README.md", lambda m: m.update(size_categories=["lots"], license="CC BY"))
    r = runner.invoke(app, ["card", str(repo), "--check"])
    assert r.exit_code == 1
    assert "size_categories` value 'lots'" in r.output and "`license` 'CC BY' is not a Hub licence id" in r.output
    (repo / "README.md").write_text("---\nlicense: [unclosed\n---\nbody\n")
    r = runner.invoke(app, ["card", str(repo), "--check"])
    assert r.exit_code == 1 and "does not load with DatasetCard.load" in r.output


def test_the_card_configs_drive_load_dataset(pipeline, tmp_path):
    import datasets

    write_card(pipeline["repo"], [pipeline["build_stats"]])
    ds = datasets.load_dataset(str(pipeline["repo"]), cache_dir=str(tmp_path / "hf-cache"))
    split_stats = json.loads((pipeline["repo"].parent / "splits" / "split.stats.json").read_text())
    assert {s: ds[s].num_rows for s in ds} == {s: v["records"] for s, v in split_stats["splits"].items()}
    assert ds["train"].column_names == ["id", "image", "conversations", "meta"]
