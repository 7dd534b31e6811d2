"""`corpus train` / `merge` / `evaluate` on Hub VLM families other than LLaVA: PaliGemma and SmolVLM (Idefics3).

Tiny models built from configs (tests/tiny_vlms.py) and loaded from a folder through
AutoModelForImageTextToText + AutoProcessor, with the bundled recipes (recipes/paligemma-vqa.yaml,
recipes/smolvlm-ptbr-lora.yaml) and the toy dataset published by `corpus build` (tests/tiny_llava.py).
CPU, offline, a few optimizer steps per family.
"""
from __future__ import annotations

import json
import math
import re

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")
from corpus.train.config import load_recipe
from corpus.train.data import IGNORE, Encoder, to_messages
from tiny_llava import ROOT, cached, draw, tiny_repo
from tiny_vlms import (
    IDEFICS3_IMAGE_SEQ,
    PALIGEMMA_IMAGE_SEQ,
    tiny_paligemma,
    tiny_smolvlm,
)
from typer.testing import CliRunner

from corpus.cli import app

FAMILIES = {
    # name: (model builder, recipe, image tokens per image, vision module, trained text of CONV)
    "paligemma": (tiny_paligemma, "paligemma-vqa.yaml", PALIGEMMA_IMAGE_SEQ, "vision_tower",
                  "O quadrado é vermelho.<eos>É um quadrado.<eos>"),
    "smolvlm": (tiny_smolvlm, "smolvlm-ptbr-lora.yaml", IDEFICS3_IMAGE_SEQ, "vision_model",
                " O quadrado é vermelho.<end_of_utterance>\n É um quadrado.<end_of_utterance>\n"),
}
CONV = [{"from": "human", "value": "<image>\nQual é a cor da figura?"}, {"from": "gpt", "value": "O quadrado é vermelho."},
        {"from": "human", "value": "E qual é a forma?"}, {"from": "gpt", "value": "É um quadrado."}]
# Enough for the tiny models to show learning; everything else comes from the bundled recipe.
OVERRIDES = ["max_steps=8", "batch_size=4", "grad_accum=1", "lr=1e-2", "lora_dropout=0", "logging_steps=1"]


def _encoder(family: str):
    from transformers import AutoProcessor

    build, recipe, *_ = FAMILIES[family]
    (cfg,) = load_recipe(ROOT / "recipes" / recipe)
    return Encoder(AutoProcessor.from_pretrained(build()), cfg.max_length, cfg.chat_template, cfg.answer_token_type)


def _run(family: str):
    """`corpus train <recipe> --model DIR --dataset REPO`; the adapter folder and the CLI output."""
    def make(root):
        build, recipe, *_ = FAMILIES[family]
        args = ["train", str(ROOT / "recipes" / recipe), "--model", str(build()), "--dataset", str(tiny_repo()),
                "-o", str(root / "adapter")]
        res = CliRunner().invoke(app, args + [a for kv in OVERRIDES for a in ("--set", kv)])
        assert res.exit_code == 0, res.output
        (root / "cli-output.txt").write_text(res.output, encoding="utf-8")
        return root / "adapter"

    return cached(f"run-{family}", make)


@pytest.mark.parametrize("family", FAMILIES)
def test_only_answer_tokens_are_trained_and_image_tokens_are_masked(family):
    enc = _encoder(family)
    tok = enc.tokenizer
    image_seq, trained_text = FAMILIES[family][2], FAMILIES[family][4]
    out = enc.encode(to_messages(CONV, True), draw("quadrado", (220, 30, 30)))
    ids, labels = out["input_ids"][0], out["labels"][0]
    assert tok.decode(ids[labels != IGNORE]) == trained_text
    image = ids == tok.convert_tokens_to_ids("<image>")
    assert int(image.sum()) == image_seq and (labels[image] == IGNORE).all()
    # What generation sees is exactly the training sequence up to the first answer token.
    first = int((labels != IGNORE).nonzero()[0])
    prompt = enc.prompt(to_messages(CONV[:1], True), draw("quadrado", (220, 30, 30)))
    assert "labels" not in prompt
    assert prompt["input_ids"][0].tolist() == ids[:first].tolist()


def test_paligemma_prefix_lm_layout():
    """One <bos> (the processor's, after the image), no stray "\\n" after the last <eos>, and
    token_type_ids 0 on image + question (bidirectional prefix), 1 from the first answer token on."""
    enc = _encoder("paligemma")
    tok = enc.tokenizer
    out = enc.encode(to_messages(CONV, True), draw("círculo", (30, 60, 220)))
    ids, labels, types = out["input_ids"][0], out["labels"][0], out["token_type_ids"][0]
    assert int((ids == tok.bos_token_id).sum()) == 1 and int(ids[PALIGEMMA_IMAGE_SEQ]) == tok.bos_token_id
    assert int(ids[-1]) == tok.eos_token_id
    first = int((labels != IGNORE).nonzero()[0])
    assert types[:first].eq(0).all() and types[first:].eq(1).all()
    assert tok.decode(ids[PALIGEMMA_IMAGE_SEQ + 1:first]) == "answer pt Qual é a cor da figura?\n"


@pytest.mark.parametrize("family", FAMILIES)
def test_corpus_train_merge_evaluate(family, tmp_path):
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForImageTextToText

    build, _, _, vision, _ = FAMILIES[family]
    adapter = _run(family)
    summary = json.loads((adapter / "train_summary.json").read_text())
    losses = summary["losses"]
    assert len(losses) == 8 and all(math.isfinite(x) for x in losses)
    assert losses[-1] < losses[0] - 0.05, losses
    assert summary["skipped"] == 0
    keys = load_file(adapter / "adapter_model.safetensors")
    assert keys and all("lora_" in k for k in keys)  # projector frozen in both recipes
    assert not [k for k in keys if f".{vision}." in k]
    assert (adapter / "chat_template.jinja").is_file()  # the recipe's template travels with the adapter

    res = CliRunner().invoke(app, ["merge", "--base", str(build()), "--adapter", str(adapter),
                                   "-o", str(tmp_path / "merged")])
    assert res.exit_code == 0, res.output
    assert float(re.search(r"max abs diff (\S+)", res.output).group(1)) <= 1e-3

    # Independent of merge's probe: a dataset-style sample through the PEFT, merged and base models.
    batch = _encoder(family).encode(to_messages(CONV[:2], True), draw("círculo", (30, 60, 220)))
    batch.pop("labels")
    peft_model = PeftModel.from_pretrained(AutoModelForImageTextToText.from_pretrained(build()), adapter)
    merged = AutoModelForImageTextToText.from_pretrained(tmp_path / "merged")
    base = AutoModelForImageTextToText.from_pretrained(build())
    with torch.no_grad():
        a, b, c = (m.eval()(**batch).logits for m in (peft_model, merged, base))
    assert (a - b).abs().max().item() < 1e-4
    assert (a - c).abs().max().item() > 1e-3  # the adapter changed the model: the check is not vacuous

    res = CliRunner().invoke(app, ["evaluate", "--model", f"ft={adapter}", "--dataset", str(tiny_repo()),
                                   "--limit", "2", "--max-new-tokens", "6", "-o", str(tmp_path / "eval")])
    assert res.exit_code == 0, res.output
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())["models"]["ft"]
    assert metrics["n"] == 3 and metrics["skipped"] == 0  # cor-0 has two turns, cor-1 one


def test_base_paligemma_has_no_template_and_evaluate_takes_one(tmp_path):
    """A base PaliGemma processor ships no chat template: evaluate says so, and --chat-template fixes it."""
    args = ["evaluate", "--model", f"base={tiny_paligemma()}", "--dataset", str(tiny_repo()), "--limit", "1",
            "--max-new-tokens", "4", "-o", str(tmp_path / "eval")]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2 and "no chat template" in res.output
    (cfg,) = load_recipe(ROOT / "recipes" / "paligemma-vqa.yaml")
    res = CliRunner().invoke(app, args + ["--chat-template", cfg.chat_template])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["models"]["base"]["n"] == 2


def test_paligemma_skips_text_only_samples_with_a_reason():
    """PaliGemma's processor raises on text-only input: such a sample is skipped and counted, not fatal."""
    from corpus.train.data import Skip

    enc = _encoder("paligemma")
    text_only = [{"from": "human", "value": "Qual é a capital do Brasil?"}, {"from": "gpt", "value": "Brasília."}]
    with pytest.raises(Skip) as ei:
        enc.encode(to_messages(text_only, False), None)
    assert ei.value.reason == "image_required"
    assert not _encoder("smolvlm").needs_image
