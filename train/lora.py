"""LoRA fine-tuning of an image-text-to-text model on the published dataset.

`train(cfg)` loads the model and processor (`AutoModelForImageTextToText` / `AutoProcessor`,
from a local folder or, where a network exists, a Hub id), puts LoRA adapters on the modules
whose names fully match `cfg.lora_target`, optionally trains the projector, and runs a plain
loop: gradient accumulation, gradient checkpointing, bf16 autocast on CUDA, AdamW with a
separate projector learning rate, cosine schedule with linear warmup. The adapter, the
processor, the resolved recipe (`train_config.yaml`) and a summary (`train_summary.json`)
are written to `cfg.output`.

torch, transformers and peft are imported inside functions: `corpus --help` stays instant.
"""
from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from corpus.atomic import write_json_atomic, write_text_atomic
from corpus.errors import MissingDependency, TrainError, UsageError
from corpus.train.config import TrainConfig


@dataclass
class TrainResult:
    output: Path
    steps: int
    losses: list[float]  # mean loss of each optimizer step
    skipped: dict[str, int]  # samples skipped, by reason
    samples: int  # samples in the split
    trainable: int  # trainable parameters
    total: int  # all parameters
    seconds: float
    device: str
    bf16: bool
    merged: Path | None = None
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {"output": str(self.output), "steps": self.steps, "losses": self.losses,
                "loss_first": self.losses[0] if self.losses else None,
                "loss_last": self.losses[-1] if self.losses else None, "samples": self.samples,
                "skipped": sum(self.skipped.values()), "skipped_by_reason": self.skipped,
                "trainable_params": self.trainable, "total_params": self.total, "seconds": round(self.seconds, 2),
                "device": self.device, "bf16": self.bf16, "merged": str(self.merged) if self.merged else None}


def _imports():
    try:
        import peft  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        raise MissingDependency(e.name or "torch", "train") from None
    import warnings

    transformers.utils.logging.disable_progress_bar()  # one bar per job: ours
    # peft still calls the pre-5.2x name; the warning is noise for our users.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
    try:
        import datasets

        datasets.disable_progress_bars()
    except ImportError:  # pragma: no cover
        pass


def check_model_path(path: str) -> None:
    """A path that can only be local (absolute, ./, ../, ~) must exist: say so instead of a Hub-id error."""
    if str(path).startswith(("/", "./", "../", "~")) and not Path(path).expanduser().exists():
        raise TrainError(f"{path}: no such model folder")


def load_model(path: str, dtype=None, device: str | None = None):
    """(model, processor) from a model folder/Hub id, or from an adapter folder (base read from its config)."""
    _imports()
    check_model_path(path)
    from transformers import AutoModelForImageTextToText, AutoProcessor

    adapter = Path(path) / "adapter_config.json"
    base = json.loads(adapter.read_text())["base_model_name_or_path"] if adapter.is_file() else path
    try:
        model = AutoModelForImageTextToText.from_pretrained(base, dtype=dtype)
        processor = AutoProcessor.from_pretrained(path if (Path(path) / "processor_config.json").is_file() else base)
    except (OSError, ValueError) as e:
        raise TrainError(f"cannot load model {base}: {' '.join(str(e).split())[:300]}") from None
    if adapter.is_file():
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, path)
    if device:
        model.to(device)
    return model, processor


def lora_targets(model, cfg: TrainConfig) -> list[str]:
    """Names of the Linear modules that fully match `cfg.lora_target` (plus the projector's when projector=lora)."""
    import torch

    pattern = re.compile(cfg.lora_target)
    names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and pattern.fullmatch(n)]
    if cfg.projector == "lora":
        names += [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)
                  and f".{cfg.projector_name}." in f".{n}" and n not in names]
    if not names:
        raise UsageError(f"lora_target {cfg.lora_target!r} matches no Linear module of {cfg.model}")
    vision = [n for n in names if f".{cfg.vision_name}." in f".{n}"]
    if vision and not cfg.train_vision:
        raise UsageError(f"lora_target matches {len(vision)} modules of the vision tower (e.g. {vision[0]}); "
                         "narrow the regex or set train_vision: true")
    return names


def add_lora(model, cfg: TrainConfig):
    """Wrap `model` with peft LoRA; everything else (vision tower included) stays frozen."""
    from peft import LoraConfig, get_peft_model

    if cfg.projector != "frozen" and not any(n.endswith(cfg.projector_name) for n, _ in model.named_modules()):
        raise UsageError(f"no module named {cfg.projector_name!r} in {cfg.model}; set projector_name or projector: frozen")
    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout, bias="none",
                      target_modules=lora_targets(model, cfg),
                      modules_to_save=[cfg.projector_name] if cfg.projector == "full" else None)
    return get_peft_model(model, lora)


def param_groups(model, cfg: TrainConfig) -> list[dict]:
    """Adapters at `lr`, projector (its LoRA or its full copy) at `projector_lr`."""
    proj, rest = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (proj if f".{cfg.projector_name}." in f".{name}" else rest).append(p)
    groups = [{"params": rest, "lr": cfg.lr}]
    if proj:
        groups.append({"params": proj, "lr": cfg.projector_lr if cfg.projector_lr is not None else cfg.lr})
    return [g for g in groups if g["params"]]


def _checkpointing(model) -> None:
    """Activation checkpointing, non-reentrant (frozen inputs need no requires_grad hack)."""
    if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.2x; the old name warns
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def train(cfg: TrainConfig, log=None) -> TrainResult:
    """Fine-tune one stage; write adapter, processor, resolved config and summary to cfg.output."""
    _imports()
    import torch
    from torch.utils.data import DataLoader
    from transformers import get_cosine_schedule_with_warmup

    from corpus.train.data import Encoder, SupervisedDataset, collate, default_images_root, load_split

    log = log or (lambda msg: None)
    if not cfg.model:
        raise UsageError("no model given: pass --model or set `model:` in the recipe")
    log("resolved recipe" + (f" ({cfg.name})" if cfg.name else "") + ":\n" + cfg.to_yaml())
    start = time.perf_counter()
    out = Path(cfg.output)
    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    bf16 = cfg.use_bf16(cuda)
    torch.manual_seed(cfg.seed)

    rows = load_split(cfg.dataset, cfg.split, cfg.max_samples)
    model, processor = load_model(cfg.model, dtype=torch.bfloat16 if bf16 else torch.float32)
    if cfg.gradient_checkpointing:
        _checkpointing(model)
    for c in (model.config, getattr(model.config, "text_config", None)):
        if c is not None:
            c.use_cache = False  # the KV cache is useless in training and clashes with checkpointing
    model = add_lora(model, cfg).to(device)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    log(f"{cfg.model}: {trainable:,} trainable of {total:,} parameters; {len(rows):,} samples; {device}"
        + (" bf16" if bf16 else ""))

    encoder = Encoder(processor, cfg.max_length, cfg.chat_template, cfg.answer_token_type)
    if encoder.chat_template:  # saved with the adapter: merge's probe and evaluate then prompt as training did
        processor.chat_template = encoder.chat_template
    data = SupervisedDataset(rows, encoder, default_images_root(cfg.dataset, cfg.images_root))
    pad_id = processor.tokenizer.pad_token_id if processor.tokenizer.pad_token_id is not None else 0
    loader = DataLoader(data, batch_size=cfg.batch_size, shuffle=cfg.shuffle, num_workers=0,
                        collate_fn=lambda b: collate(b, pad_id), generator=torch.Generator().manual_seed(cfg.seed))
    steps = cfg.max_steps if cfg.max_steps > 0 else max(1, math.ceil(len(loader) / cfg.grad_accum * cfg.epochs))
    optimizer = torch.optim.AdamW(param_groups(model, cfg), weight_decay=cfg.weight_decay)
    schedule = get_cosine_schedule_with_warmup(optimizer, math.ceil(cfg.warmup_ratio * steps), steps)

    losses = _loop(model, loader, optimizer, schedule, cfg, steps, device, bf16, log)
    if data.skipped:
        log(f"skipped {sum(data.skipped.values()):,} samples: {dict(data.skipped)}")

    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    write_text_atomic(out / "train_config.yaml", cfg.to_yaml())
    result = TrainResult(out, len(losses), losses, dict(data.skipped), len(rows), trainable, total,
                         time.perf_counter() - start, device, bf16)
    if cfg.merge:
        from corpus.train.merge import merge_adapter

        report = merge_adapter(cfg.model, out, out / "merged", dtype="bfloat16" if bf16 else "float32", log=log)
        result.merged, result.extra["merge_max_abs_diff"] = out / "merged", report.max_abs_diff
    write_json_atomic(out / "train_summary.json", result.summary())
    return result


def _loop(model, loader, optimizer, schedule, cfg, steps, device, bf16, log) -> list[float]:
    import contextlib

    import torch
    from rich.progress import TextColumn

    from corpus.console import progress

    model.train()
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if bf16 and device == "cuda" \
        else contextlib.nullcontext
    trainable = [p for p in model.parameters() if p.requires_grad]
    losses: list[float] = []
    micro, acc = 0, 0.0
    with progress(TextColumn("loss {task.fields[loss]}"), unit="step") as bar:
        task = bar.add_task("training", total=steps, rate="", loss="")
        while len(losses) < steps:
            batches = 0
            for batch in loader:
                if batch is None:
                    continue
                batches += 1
                batch = {k: v.to(device) for k, v in batch.items()}
                with autocast():
                    loss = model(**batch).loss
                (loss / cfg.grad_accum).backward()
                acc, micro = acc + loss.item(), micro + 1
                if micro % cfg.grad_accum:
                    continue
                torch.nn.utils.clip_grad_norm_(trainable, cfg.max_grad_norm)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad(set_to_none=True)
                losses.append(acc / cfg.grad_accum)
                acc = 0.0
                bar.update(task, advance=1, loss=f"{losses[-1]:.4f}")
                if len(losses) % cfg.logging_steps == 0 or len(losses) == steps:
                    log(f"step {len(losses)}/{steps} loss {losses[-1]:.4f} lr {schedule.get_last_lr()[0]:.2e}")
                if len(losses) >= steps:
                    break
            if batches == 0:
                skipped = getattr(loader.dataset, "skipped", {})
                raise TrainError(f"no trainable samples in {cfg.dataset} [{cfg.split}]: skipped {dict(skipped)}")
    return losses


def train_recipe(configs: list[TrainConfig], log=None) -> list[TrainResult]:
    """Run each stage; stage N+1 starts from stage N's merged model (each stage in <output>/<name>)."""
    results = []
    for i, cfg in enumerate(configs):
        if len(configs) > 1:
            cfg.output = str(Path(cfg.output) / cfg.name)
            if i > 0:
                cfg.model = str(results[-1].merged)
            cfg.merge = cfg.merge or i < len(configs) - 1  # the next stage needs a plain model
            (log or (lambda m: None))(f"stage {i + 1}/{len(configs)}: {cfg.name}")
        results.append(train(cfg, log))
    return results
