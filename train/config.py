"""A fine-tuning recipe: one flat dataclass, loaded from YAML, overridable with `--set key=value`.

In the spirit of nanoGPT: every knob is a field with a default and a comment, the recipe file
only changes what it must, and the resolved configuration is printed and saved with the adapter.

A recipe may hold a `stages:` list (e.g. captions first, then detailed descriptions). Each stage
is a dict of overrides on top of the recipe's top-level values; stage N+1 starts from the merged
model of stage N.

    >>> cfg = load_recipe("recipes/tiny-cpu.yaml", ["max_steps=4", "lr=1e-3"])[0]
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Optional, Union, get_args, get_origin, get_type_hints

from corpus.errors import UsageError

# LLaVA-style: LoRA on the language model's projections only. A bare ["q_proj", "v_proj"] would
# also wrap the CLIP vision tower in transformers 5 (it lives under model.model.vision_tower).
DEFAULT_TARGET = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"


@dataclass
class TrainConfig:
    # --- what to train on
    model: str = ""  # local directory or Hub id of an AutoModelForImageTextToText checkpoint
    dataset: str = ""  # folder written by `corpus build`, or a Hub dataset id
    split: str = "train"  # dataset split to train on
    images_root: Optional[str] = None  # folder that string `image` paths are relative to (default: the dataset folder)
    output: str = "runs/adapter"  # where the adapter, processor and resolved config are written
    max_samples: Optional[int] = None  # use only the first N records (smoke runs)
    # --- sequence handling
    max_length: int = 2048  # tokens, image tokens included; longer samples are cut after the images or skipped
    chat_template: Optional[str] = None  # override the processor's chat template (Jinja string or path to a file)
    answer_token_type: Optional[int] = None  # PaliGemma: token_type_ids from the first answer token on (prefix-LM suffix)
    # --- LoRA
    lora_r: int = 128  # adapter rank
    lora_alpha: int = 256  # scaling numerator: effective scale alpha / r
    lora_dropout: float = 0.05  # dropout on the adapter input
    lora_target: str = DEFAULT_TARGET  # regex over module names (full match) that get LoRA adapters
    projector: str = "full"  # multimodal projector: full (trained, saved with adapter) | lora | frozen
    projector_name: str = "multi_modal_projector"  # module name of the projector (Qwen2-VL: visual.merger)
    vision_name: str = "vision_tower"  # module name of the vision encoder, kept frozen
    train_vision: bool = False  # allow lora_target to match the vision tower
    # --- optimisation
    epochs: float = 1.0  # passes over the data (ignored when max_steps > 0)
    max_steps: int = -1  # optimizer steps; > 0 overrides epochs
    batch_size: int = 1  # samples per forward pass
    grad_accum: int = 1  # forward passes per optimizer step
    lr: float = 2e-4  # learning rate of the adapters
    projector_lr: Optional[float] = 2e-5  # learning rate of the projector (None: same as lr)
    weight_decay: float = 0.0  # AdamW weight decay
    warmup_ratio: float = 0.03  # fraction of steps with linear warmup before the cosine decay
    max_grad_norm: float = 1.0  # gradient clipping
    gradient_checkpointing: bool = True  # recompute activations: less memory, ~30% slower
    bf16: str = "auto"  # auto (bf16 on CUDA) | true | false
    seed: int = 0  # torch / shuffle seed
    shuffle: bool = True  # shuffle samples each epoch
    logging_steps: int = 1  # print the loss every N optimizer steps
    # --- after training
    merge: bool = False  # also write <output>/merged (base + adapter folded in)
    name: str = ""  # stage name (two-stage recipes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def use_bf16(self, cuda: bool) -> bool:
        return cuda if self.bf16 == "auto" else _as_bool("bf16", self.bf16)


_FIELDS = {f.name: f for f in fields(TrainConfig)}
_TYPES = get_type_hints(TrainConfig)


def _as_bool(key: str, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"{key}: expected true/false, got {v!r}")


def _coerce(key: str, value: Any) -> Any:
    """Give `value` the type of field `key`; a clear UsageError otherwise."""
    if key not in _FIELDS:
        raise UsageError(f"unknown recipe key {key!r}; known keys: {', '.join(_FIELDS)}")
    tp = _TYPES[key]
    if get_origin(tp) is Union:  # Optional[X]
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null", "")):
            return None
        tp = next(a for a in get_args(tp) if a is not type(None))
    if key == "bf16":
        return str(value).lower() if str(value).lower() == "auto" else str(_as_bool(key, value)).lower()
    try:
        if tp is bool:
            return _as_bool(key, value)
        if tp is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if tp is float:
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise UsageError(f"{key}: expected {tp.__name__}, got {value!r}") from None


def parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    """["lr=1e-4", "merge=true"] -> {"lr": 1e-4, "merge": True} (values parsed as YAML scalars)."""
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects key=value, got {pair!r}")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        out[key.strip()] = _coerce(key.strip(), value)
    return out


def load_recipe(path: str | Path | None, overrides: list[str] | dict | None = None) -> list[TrainConfig]:
    """Read a recipe file and apply overrides; one TrainConfig per stage (one when no `stages:`).

    Overrides (CLI flags, `--set`) win over the recipe and apply to every stage.
    """
    import yaml

    raw: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise UsageError(f"{p}: recipe not found")
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise UsageError(f"{p}: not valid YAML: {' '.join(str(e).split())}") from None
        if not isinstance(raw, dict):
            raise UsageError(f"{p}: a recipe is a mapping of key: value")
        if "process" in raw:
            raise UsageError(f"{p}: this is a curation pipeline (it has `process:`); run it with `corpus run {p}`")
    extra = overrides if isinstance(overrides, dict) else parse_overrides(overrides)
    stages = raw.pop("stages", None) or [{}]
    if not isinstance(stages, list) or not all(isinstance(s, dict) for s in stages):
        raise UsageError(f"{path}: `stages` must be a list of mappings")
    base = {k: _coerce(k, v) for k, v in raw.items()}
    configs = []
    for i, stage in enumerate(stages):
        values = {**base, **{k: _coerce(k, v) for k, v in stage.items()}, **{k: _coerce(k, v) for k, v in extra.items()}}
        cfg = TrainConfig(**values)
        if len(stages) > 1:
            cfg.name = cfg.name or f"stage{i + 1}"
        configs.append(cfg)
    for cfg in configs:
        validate(cfg)
    return configs


def validate(cfg: TrainConfig) -> None:
    import re

    if cfg.projector not in ("full", "lora", "frozen"):
        raise UsageError(f"projector: expected full, lora or frozen, got {cfg.projector!r}")
    if cfg.bf16 not in ("auto", "true", "false"):
        raise UsageError(f"bf16: expected auto, true or false, got {cfg.bf16!r}")
    for key in ("batch_size", "grad_accum", "lora_r", "max_length", "logging_steps"):
        if getattr(cfg, key) < 1:
            raise UsageError(f"{key}: must be >= 1, got {getattr(cfg, key)}")
    if not 0 <= cfg.warmup_ratio < 1:
        raise UsageError(f"warmup_ratio: must be in [0, 1), got {cfg.warmup_ratio}")
    # checked before the model loads: these used to train (lr -1: the loss rose, exit 0) or fail
    # late inside torch/peft with a message that named no recipe key
    for key in ("lr", "lora_alpha"):
        if not getattr(cfg, key) > 0:
            raise UsageError(f"{key}: must be > 0, got {getattr(cfg, key)}")
    if cfg.projector_lr is not None and not cfg.projector_lr > 0:
        raise UsageError(f"projector_lr: must be > 0 (or null: the same as lr), got {cfg.projector_lr}")
    if not 0 <= cfg.lora_dropout < 1:
        raise UsageError(f"lora_dropout: must be in [0, 1), got {cfg.lora_dropout}")
    if cfg.weight_decay < 0:
        raise UsageError(f"weight_decay: must be >= 0, got {cfg.weight_decay}")
    if cfg.max_samples is not None and cfg.max_samples < 1:
        raise UsageError(f"max_samples: must be >= 1 (or null: all), got {cfg.max_samples}")
    if cfg.max_steps <= 0 and not cfg.epochs > 0:
        raise UsageError(f"epochs: must be > 0 when max_steps <= 0, got {cfg.epochs}")
    try:
        re.compile(cfg.lora_target)
    except re.error as e:
        raise UsageError(f"lora_target: not a valid regex: {e}") from None
