"""`corpus train` on a tiny LLaVA built from configs (no hub): recipe config, label mask, truncation, loss.

The model is real LLaVA code at toy size (tests/tiny_llava.py); the data is the published layout
written by `corpus build` from generated images. CPU, offline, a few optimizer steps.
"""
from __future__ import annotations

import json
import shutil

import pytest
import yaml

pytest.importorskip("torch")
pytest.importorskip("peft")
from typer.testing import CliRunner  # noqa: E402

from conftest import shared_path  # noqa: E402
from corpus.cli import app  # noqa: E402
from corpus.errors import UsageError  # noqa: E402
from corpus.train.config import TrainConfig, load_recipe, parse_overrides  # noqa: E402
from corpus.train.data import IGNORE, Encoder, Skip, SupervisedDataset, collate, load_split, to_messages  # noqa: E402
from tiny_llava import IMAGE_SEQ, ROOT, draw, tiny_model, tiny_repo, tiny_run  # noqa: E402

RECIPES = ROOT / "recipes"


@pytest.fixture(scope="module")
def processor():
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(tiny_model())


# ------------------------------------------------------------------ config

def test_overrides_are_typed_and_unknown_keys_refused():
    assert parse_overrides(["lr=1e-4", "merge=true", "max_samples=null", "lora_r=16"]) == \
        {"lr": 1e-4, "merge": True, "max_samples": None, "lora_r": 16}
    with pytest.raises(UsageError, match="unknown recipe key 'lr_'"):
        parse_overrides(["lr_=1"])
    with pytest.raises(UsageError, match="lora_r: expected int"):
        parse_overrides(["lora_r=abc"])
    with pytest.raises(UsageError, match="key=value"):
        parse_overrides(["lr"])


@pytest.mark.parametrize("override, message", [
    ("lr=-1", "lr: must be > 0, got -1.0"),
    ("lora_alpha=-5", "lora_alpha: must be > 0, got -5"),
    ("projector_lr=0", "projector_lr: must be > 0"),
    ("lora_dropout=1.5", r"lora_dropout: must be in \[0, 1\), got 1.5"),
    ("weight_decay=-1", "weight_decay: must be >= 0, got -1"),
    ("max_samples=0", "max_samples: must be >= 1"),
    ("epochs=0", "epochs: must be > 0 when max_steps <= 0, got 0"),
])
def test_values_that_cannot_train_are_refused_before_the_model_loads(override, message):
    """Found in stop 14: lr=-1 trained (the loss rose) and exited 0; the others failed inside
    torch/peft with a message that named no recipe key."""
    with pytest.raises(UsageError, match=message):
        load_recipe(RECIPES / "tiny-cpu.yaml", [override, "max_steps=-1"] if override.startswith("epochs") else [override])


TRAIN_RECIPES = sorted(p.name for p in RECIPES.glob("*.yaml") if "\nprocess:" not in p.read_text(encoding="utf-8"))


def test_curation_pipelines_are_refused_with_a_pointer_to_corpus_run():
    with pytest.raises(UsageError, match="corpus run"):
        load_recipe(RECIPES / "ptbr-instruct.yaml")


@pytest.mark.parametrize("recipe", TRAIN_RECIPES)
def test_bundled_recipes_load_and_comment_every_value(recipe):
    configs = load_recipe(RECIPES / recipe)
    assert configs and all(isinstance(c, TrainConfig) for c in configs)
    for line in (RECIPES / recipe).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and not line.rstrip().endswith(":") \
                and not line.startswith("chat_template"):
            assert " # " in line, f"{recipe}: value without a comment: {line}"


def test_llava_recipe_has_llavas_lora_settings():
    (cfg,) = load_recipe(RECIPES / "llava-1.5-7b-ptbr-lora.yaml")
    assert (cfg.lora_r, cfg.lora_alpha, cfg.lr, cfg.projector_lr, cfg.epochs, cfg.max_length, cfg.warmup_ratio) == \
        (128, 256, 2e-4, 2e-5, 1.0, 2048, 0.03)


def test_two_stage_recipe_and_overrides_apply_to_every_stage():
    stages = load_recipe(RECIPES / "verbovision-2stage.yaml", ["seed=7"])
    assert [s.name for s in stages] == ["captions", "detail"]
    assert stages[0].dataset != stages[1].dataset and stages[0].lr != stages[1].lr
    assert {s.seed for s in stages} == {7}


# ------------------------------------------------------------------ data

def test_llava_turns_become_chat_messages_with_the_image_in_place():
    conv = [{"from": "human", "value": "Descreva.\n<image>"}, {"from": "gpt", "value": "Um gato."}]
    msgs = to_messages(conv, has_image=True)
    assert msgs == [{"role": "user", "content": [{"type": "text", "text": "Descreva."}, {"type": "image"}]},
                    {"role": "assistant", "content": [{"type": "text", "text": "Um gato."}]}]
    # LLaVA convention: an image without a placeholder goes before the first user text
    msgs = to_messages([{"from": "human", "value": "Oi"}, {"from": "gpt", "value": "Olá"}], has_image=True)
    assert msgs[0]["content"][0] == {"type": "image"}
    with pytest.raises(Skip, match="image_count_mismatch"):
        to_messages(conv, has_image=False)


def test_labels_cover_only_assistant_tokens(processor):
    conv = [{"from": "human", "value": "<image>\nQual é a cor?"}, {"from": "gpt", "value": "Vermelho."},
            {"from": "human", "value": "E a forma?"}, {"from": "gpt", "value": "Um círculo."}]
    enc = Encoder(processor, 256).encode(to_messages(conv, True), draw("círculo", (220, 30, 30)))
    ids, labels = enc["input_ids"][0], enc["labels"][0]
    tok = processor.tokenizer
    trained = labels != IGNORE
    assert (labels[trained] == ids[trained]).all()
    # the answers and their end-of-turn marker, nothing of the prompt, role headers or image
    assert tok.decode(ids[trained]) == " Vermelho.</s> Um círculo.</s>"
    image_id = tok.convert_tokens_to_ids("<image>")
    assert int((ids == image_id).sum()) == IMAGE_SEQ
    assert not trained[ids == image_id].any()
    assert tok.decode(ids[~trained]).startswith("USER: <image>")


def test_never_truncates_through_image_tokens(processor):
    conv = [{"from": "human", "value": "<image>\nDescreva a imagem."},
            {"from": "gpt", "value": "Uma praia com coqueiros e o mar azul."}]
    msgs, image = to_messages(conv, True), draw("quadrado", (30, 60, 220))
    full = Encoder(processor, 256).encode(msgs, image)["input_ids"].shape[1]
    image_id = processor.tokenizer.convert_tokens_to_ids("<image>")
    with pytest.raises(Skip, match="image_tokens_exceed_max_length"):
        Encoder(processor, IMAGE_SEQ).encode(msgs, image)  # the cut would fall inside the image
    cut = Encoder(processor, full - 3).encode(msgs, image)  # the cut falls inside the answer: allowed
    assert cut["input_ids"].shape[1] == cut["labels"].shape[1] == full - 3
    assert int((cut["input_ids"] == image_id).sum()) == IMAGE_SEQ
    assert (cut["labels"] != IGNORE).any()


def test_dataset_skips_are_counted_by_reason(processor, tmp_path):
    draw("quadrado", (30, 180, 60)).save(tmp_path / "ok.png")
    rows = [{"id": "1", "image": "ok.png", "conversations": [{"from": "human", "value": "<image>\nCor?"},
                                                            {"from": "gpt", "value": "Verde."}]},
            {"id": "2", "image": "missing.png", "conversations": [{"from": "human", "value": "<image>\nCor?"},
                                                                 {"from": "gpt", "value": "Azul."}]},
            {"id": "3", "image": None, "conversations": [{"from": "human", "value": "Oi"}]}]
    data = SupervisedDataset(rows, Encoder(processor, 256), tmp_path)
    batch = collate([data[i] for i in range(3)], pad_id=processor.tokenizer.pad_token_id)
    assert batch["input_ids"].shape[0] == 1 and batch["pixel_values"].shape[0] == 1
    assert dict(data.skipped) == {"image_missing": 1, "no_assistant_turn": 1}


def test_published_dataset_loads_with_paths_and_images_root(processor, tmp_path):
    from tiny_llava import build_tiny_repo

    repo = build_tiny_repo(tmp_path, embed_images=False)
    rows = load_split(str(repo), "train")
    assert isinstance(rows[0]["image"], str)
    data = SupervisedDataset(rows, Encoder(processor, 256), tmp_path / "images")
    assert all(data[i] is not None for i in range(len(data))) and not data.skipped


# ------------------------------------------------------------------ training

def test_corpus_train_loss_falls_and_saves_resolved_config():
    out = tiny_run()
    summary = json.loads((out / "train_summary.json").read_text())
    losses = summary["losses"]
    assert len(losses) == summary["steps"] == 8
    assert losses[-1] < losses[0] - 0.1, losses
    assert summary["skipped"] == 0 and summary["samples"] == 12 and summary["device"] == "cpu"
    saved = yaml.safe_load((out / "train_config.yaml").read_text())
    assert saved["lora_r"] == 8 and saved["output"] == str(out) and saved["dataset"] == str(tiny_repo())
    printed = (out.parent / "cli-output.txt").read_text()
    assert "resolved recipe" in printed and "lora_target:" in printed and "loss first" in printed
    # LoRA on the Llama attention only; the projector trained in full; the CLIP tower untouched
    from safetensors.torch import load_file

    keys = list(load_file(out / "adapter_model.safetensors"))
    assert any("language_model" in k and "lora_A" in k for k in keys)
    assert any("multi_modal_projector" in k for k in keys)
    assert not any("vision_tower" in k for k in keys)


def test_a_regex_that_hits_the_vision_tower_is_refused(tmp_path):
    res = CliRunner().invoke(app, ["train", str(RECIPES / "tiny-cpu.yaml"), "--model", str(tiny_model()),
                                   "--dataset", str(tiny_repo()), "-o", str(tmp_path / "x"),
                                   "--set", "lora_target=.*(q_proj|v_proj)"])
    assert res.exit_code == 2
    assert "vision tower" in res.output and "Traceback" not in res.output


def test_unknown_split_is_a_one_line_error(tmp_path):
    res = CliRunner().invoke(app, ["train", str(RECIPES / "tiny-cpu.yaml"), "--model", str(tiny_model()),
                                   "--dataset", str(tiny_repo()), "-o", str(tmp_path / "x"), "--set", "split=nope"])
    assert res.exit_code == 2 and "Error:" in res.output and "Traceback" not in res.output


def test_real_jpegs_embedded_in_the_dataset_train(tmp_path):
    """Real LLaVA-Pretrain JPEGs (../shared) with hand-translated pt-BR captions, embedded by `corpus build`."""
    src = shared_path("images", "llava_pretrain")
    pt = {"00001/000019465.jpg": "o quarto com beliches",
          "00001/000016513.jpg": "um jardim com uma sebe aparada e uma grande fonte de pedra à frente",
          "00001/000010012.jpg": "mãe e filho brincando na neve no parque de inverno",
          "00001/000019343.jpg": "uma máquina de escrever antiga"}
    recs = [{"id": str(i), "image": img, "conversations": [
        {"from": "human", "value": "<image>\nForneça uma breve descrição da imagem."}, {"from": "gpt", "value": cap}]}
        for i, (img, cap) in enumerate(pt.items())]
    (tmp_path / "splits").mkdir()
    (tmp_path / "splits" / "train.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs))
    repo = tmp_path / "repo"
    res = CliRunner().invoke(app, ["build", str(tmp_path / "splits"), "-o", str(repo), "--images-root", str(src),
                                   "--embed-images", "--no-card"])
    assert res.exit_code == 0, res.output
    from corpus.train.lora import train

    result = train(TrainConfig(model=str(tiny_model()), dataset=str(repo), output=str(tmp_path / "out"),
                               lora_r=4, lora_alpha=8, max_steps=2, batch_size=2, lr=1e-3, max_length=128))
    assert result.steps == 2 and result.samples == 4 and not result.skipped
    assert all(loss == loss and loss > 0 for loss in result.losses)
    shutil.rmtree(tmp_path / "out")


def test_bf16_weights_path_trains_and_merges_on_cpu(tmp_path):
    """The CUDA recipe's dtype path (bf16 base weights, fp32 adapters, bf16 merge) minus autocast, on CPU."""
    import torch
    from safetensors.torch import load_file

    from corpus.train.lora import train

    result = train(TrainConfig(model=str(tiny_model()), dataset=str(tiny_repo()), output=str(tmp_path / "bf16"),
                               lora_r=4, lora_alpha=8, max_steps=2, batch_size=4, lr=1e-3, bf16="true",
                               merge=True))
    assert result.bf16 and result.steps == 2 and all(loss == loss for loss in result.losses)
    assert result.extra["merge_max_abs_diff"] <= 0.25
    weights = load_file(result.merged / "model.safetensors")
    assert {v.dtype for v in weights.values()} == {torch.bfloat16}


def test_heavy_libraries_are_imported_lazily():
    import subprocess
    import sys

    code = ("import sys, corpus.train.config, corpus.train.data, corpus.train.lora, corpus.train.merge, "
            "corpus.train.evaluate, corpus.train.metrics; "
            "print(sorted(m for m in ('torch', 'transformers', 'peft', 'datasets', 'sacrebleu') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_two_stage_recipe_merges_between_stages(tmp_path):
    recipe = tmp_path / "two.yaml"
    recipe.write_text(
        "lora_r: 4\nlora_alpha: 8\nlora_dropout: 0.0\nmax_steps: 2\nbatch_size: 4\nmax_length: 128\n"
        "lora_target: '.*language_model.*\\.(q_proj|v_proj)'\n"
        "stages:\n  - name: captions\n    lr: 1.0e-3\n  - name: detail\n    lr: 5.0e-4\n", encoding="utf-8")
    out = tmp_path / "runs"
    res = CliRunner().invoke(app, ["train", str(recipe), "--model", str(tiny_model()), "--dataset", str(tiny_repo()),
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "captions" / "merged" / "config.json").is_file()  # merged so that stage 2 can start from it
    stage2 = yaml.safe_load((out / "detail" / "train_config.yaml").read_text())
    assert stage2["model"] == str(out / "captions" / "merged") and stage2["lr"] == 5e-4
    adapter = json.loads((out / "detail" / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == str(out / "captions" / "merged")
    assert not (out / "detail" / "merged").exists()  # last stage: merge only when asked
