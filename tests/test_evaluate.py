"""`corpus evaluate`: generation on the published test split, every metric, base vs fine-tuned in one table."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")
from typer.testing import CliRunner  # noqa: E402

from corpus.cli import app  # noqa: E402
from corpus.train.evaluate import labels_for  # noqa: E402
from corpus.train.metrics import METRICS, score  # noqa: E402
from tiny_llava import tiny_model, tiny_repo, tiny_run  # noqa: E402


def test_model_labels():
    assert labels_for(["base=/x/llava", "ft=/y/run"]) == [("base", "/x/llava"), ("ft", "/y/run")]
    assert labels_for(["/a/model", "/b/model"]) == [("model", "/a/model"), ("model#2", "/b/model")]


def test_evaluate_compares_base_and_fine_tuned_in_one_table(tmp_path):
    out = tmp_path / "eval"
    res = CliRunner().invoke(app, ["evaluate", "--model", f"base={tiny_model()}", "--model", f"ft={tiny_run()}",
                                   "--dataset", str(tiny_repo()), "--split", "test", "--max-new-tokens", "6",
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    header = next(line for line in res.output.splitlines() if "metric" in line)
    assert "base" in header and "ft" in header and "delta" in header
    for name in METRICS:
        assert name in res.output

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["split"] == "test" and set(metrics["models"]) == {"base", "ft"}
    # 4 test records, 2 of them two-turn: 6 answers per model
    for label, m in metrics["models"].items():
        assert m["n"] == 6 and m["skipped"] == 0
        assert all(0.0 <= m[k] <= 100.0 for k in METRICS)
        lines = [json.loads(x) for x in (out / f"predictions-{label}.jsonl").read_text().splitlines()]
        assert len(lines) == 6 and {x["turn"] for x in lines} == {0, 1}
        # the table's numbers are the metrics of the written predictions
        again = score([x["prediction"] for x in lines], [x["reference"] for x in lines])
        assert all(again[k] == pytest.approx(m[k]) for k in METRICS)
    refs = {x["reference"] for x in map(json.loads, (out / "predictions-ft.jsonl").read_text().splitlines())}
    assert "O quadrado é vermelho." in refs and "É um quadrado." in refs


def test_evaluate_needs_a_model(tmp_path):
    res = CliRunner().invoke(app, ["evaluate", "--dataset", str(tmp_path)])
    assert res.exit_code == 2
