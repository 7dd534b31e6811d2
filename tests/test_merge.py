"""`corpus merge`: merge_and_unload, save, reload, and the probe check that logits did not move."""
from __future__ import annotations

import re

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")
from typer.testing import CliRunner  # noqa: E402

from corpus.cli import app  # noqa: E402
from tiny_llava import draw, tiny_model, tiny_run  # noqa: E402


def _merge(tmp_path, *extra):
    res = CliRunner().invoke(app, ["merge", "--base", str(tiny_model()), "--adapter", str(tiny_run()),
                                   "-o", str(tmp_path / "merged"), *extra])
    m = re.search(r"max abs diff (\S+)", res.output)
    return res, float(m.group(1)) if m else None


def test_merge_matches_the_adapter_model_and_prints_the_diff(tmp_path):
    res, diff = _merge(tmp_path)
    assert res.exit_code == 0, res.output
    assert diff is not None and diff <= 1e-3
    merged = tmp_path / "merged"
    assert (merged / "config.json").is_file() and (merged / "processor_config.json").is_file()
    assert not (merged / "adapter_config.json").exists()

    # Independent of the command's own probe: a dataset-style sample through both models.
    import torch
    from peft import PeftModel
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from corpus.train.data import Encoder, to_messages

    processor = AutoProcessor.from_pretrained(merged)
    conv = [{"from": "human", "value": "<image>\nQual é a cor da figura?"}, {"from": "gpt", "value": "Azul."}]
    batch = Encoder(processor, 256).encode(to_messages(conv, True), draw("círculo", (30, 60, 220)))
    batch.pop("labels")
    peft_model = PeftModel.from_pretrained(AutoModelForImageTextToText.from_pretrained(tiny_model()), tiny_run())
    base = AutoModelForImageTextToText.from_pretrained(tiny_model())
    plain = AutoModelForImageTextToText.from_pretrained(merged)
    with torch.no_grad():
        a, b, c = (m.eval()(**batch).logits for m in (peft_model, plain, base))
    assert (a - b).abs().max().item() < 1e-4
    assert (a - c).abs().max().item() > 1e-3  # the adapter did change the model: the check is not vacuous


def test_merge_above_tolerance_fails_and_writes_nothing(tmp_path):
    res, diff = _merge(tmp_path)
    assert res.exit_code == 0 and diff is not None
    if diff == 0:
        pytest.skip("merge was bit-exact: no tolerance below the diff to test")
    (tmp_path / "merged2").mkdir()
    res = CliRunner().invoke(app, ["merge", "--base", str(tiny_model()), "--adapter", str(tiny_run()),
                                   "-o", str(tmp_path / "merged3"), "--tolerance", str(diff / 2)])
    assert res.exit_code == 1, res.output
    assert "max |logit diff|" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "merged3").exists()
    assert not any(p.name.startswith(".merged3") for p in tmp_path.iterdir())


def test_merge_refuses_a_folder_that_is_not_an_adapter(tmp_path):
    res = CliRunner().invoke(app, ["merge", "--base", str(tiny_model()), "--adapter", str(tmp_path),
                                   "-o", str(tmp_path / "m")])
    assert res.exit_code == 2 and "not a LoRA adapter folder" in res.output
