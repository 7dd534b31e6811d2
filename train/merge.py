"""Fold a LoRA adapter into its base model, save it, and prove the merge changed nothing.

`merge_adapter` runs a probe batch (a generated image and a Portuguese prompt, through the
processor's own chat template) through the adapter model, merges with peft's
`merge_and_unload`, saves model and processor to a temporary folder beside the output,
reloads the saved model from disk and runs the probe again. The largest absolute logit
difference is reported; above the tolerance nothing is published and `MergeMismatch` is
raised. Only a verified merge is renamed into place.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import TrainError, UsageError

# float32 merges measure ~1e-7 on the tiny model; bf16 rounds the folded weights, so allow more.
DEFAULT_TOLERANCE = {"float32": 1e-3, "bfloat16": 0.25, "float16": 0.1}
PROBE_PROMPT = "Descreva a imagem em detalhes."


class MergeMismatch(TrainError):
    """The merged model's logits differ from the adapter model's by more than the tolerance."""

    exit_code = 1


@dataclass
class MergeReport:
    output: Path
    max_abs_diff: float
    tolerance: float
    probe_tokens: int
    seconds: float


def probe_batch(processor, with_image: bool = True) -> dict:
    """One deterministic sample: a gradient image and a pt-BR question, rendered by the processor's template."""
    import numpy as np
    from PIL import Image

    content = ([{"type": "image"}] if with_image else []) + [{"type": "text", "text": PROBE_PROMPT}]
    text = processor.apply_chat_template([{"role": "user", "content": content}], tokenize=False,
                                         add_generation_prompt=True)
    image = None
    if with_image:
        y, x = np.mgrid[0:48, 0:64]
        image = Image.fromarray(np.stack([x * 4, y * 5, (x + y) * 2], -1).astype("uint8"))
    return dict(processor(text=[text], images=[image] if image is not None else None, return_tensors="pt"))


def _logits(model, batch: dict, device: str):
    import torch

    with torch.no_grad():
        return model(**{k: v.to(device) for k, v in batch.items()}).logits.float().cpu()


def merge_adapter(base: str, adapter: str | Path, output: str | Path, *, dtype: str = "float32",
                  tolerance: float | None = None, log=None) -> MergeReport:
    """Merge `adapter` into `base`, save to `output`, verify on a probe batch; see module docstring."""
    from corpus.train.lora import _imports, check_model_path

    _imports()
    check_model_path(base)
    import torch
    from peft import PeftModel
    from transformers import AutoModelForImageTextToText, AutoProcessor

    log = log or (lambda msg: None)
    start = time.perf_counter()
    adapter, output = Path(adapter), Path(output)
    if not (adapter / "adapter_config.json").is_file():
        raise UsageError(f"{adapter}: not a LoRA adapter folder (no adapter_config.json)")
    if dtype not in DEFAULT_TOLERANCE:
        raise UsageError(f"dtype: expected one of {', '.join(DEFAULT_TOLERANCE)}, got {dtype!r}")
    if output.exists() and any(output.iterdir()) and not (output / "config.json").is_file():
        raise UsageError(f"{output}: exists and is not a model folder; refusing to replace it")
    tolerance = DEFAULT_TOLERANCE[dtype] if tolerance is None else tolerance
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch_dtype = getattr(torch, dtype)

    try:
        model = AutoModelForImageTextToText.from_pretrained(base, dtype=torch_dtype)
        processor = AutoProcessor.from_pretrained(adapter if (adapter / "processor_config.json").is_file() else base)
    except (OSError, ValueError) as e:
        raise TrainError(f"cannot load base model {base}: {' '.join(str(e).split())[:300]}") from None
    model = PeftModel.from_pretrained(model, adapter).to(device).eval()
    try:
        batch = probe_batch(processor)
    except ValueError:  # a processor without image support in its template: text-only probe
        batch = probe_batch(processor, with_image=False)
    before = _logits(model, batch, device)

    merged = model.merge_and_unload()
    tmp = output.with_name(f".{output.name}.merging")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(tmp)
    processor.save_pretrained(tmp)
    del model, merged
    reloaded = AutoModelForImageTextToText.from_pretrained(tmp, dtype=torch_dtype).to(device).eval()
    diff = (before - _logits(reloaded, batch, device)).abs().max().item()
    log(f"probe: {batch['input_ids'].shape[1]} tokens, max |logit diff| = {diff:.3g} (tolerance {tolerance:g})")
    if not diff <= tolerance:  # also catches NaN
        shutil.rmtree(tmp, ignore_errors=True)
        raise MergeMismatch(f"{adapter}: merged model differs from the adapter model: max |logit diff| "
                            f"{diff:.3g} > tolerance {tolerance:g}")
    if output.exists():
        shutil.rmtree(output)
    tmp.rename(output)
    return MergeReport(output, diff, tolerance, int(batch["input_ids"].shape[1]), time.perf_counter() - start)
