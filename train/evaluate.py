"""Generate answers on a split of the published dataset and score them (see metrics.py).

Every assistant turn is a question: the model sees the gold conversation before it (image
included) and answers greedily; its answer is scored against the gold turn. Several models
(say the base and the fine-tuned adapter) are evaluated on the same prompts, so their rows
compare directly. Written to the output folder:

- ``predictions-<label>.jsonl``: id, turn, reference, prediction, exact_match, token_f1 per answer;
- ``metrics.json``: {"dataset", "split", "models": {label: {"model", "n", "skipped", metrics...}}}.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from corpus.atomic import atomic_path, write_json_atomic
from corpus.errors import TrainError, UsageError


@dataclass
class EvalResult:
    label: str
    model: str
    metrics: dict[str, float]
    predictions: Path | None
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def labels_for(models: list[str]) -> list[tuple[str, str]]:
    """(label, path) per model spec; "label=path" names it, otherwise the folder name (deduplicated)."""
    out, seen = [], Counter()
    for spec in models:
        label, sep, path = spec.partition("=")
        if not sep or Path(spec).exists():
            label, path = Path(spec.rstrip("/")).name or spec, spec
        seen[label] += 1
        out.append((label if seen[label] == 1 else f"{label}#{seen[label]}", path))
    return out


def evaluate(models: list[str], dataset: str, *, split: str = "test", images_root: str | None = None,
             output: str | Path | None = None, max_new_tokens: int = 64, limit: int | None = None,
             max_length: int = 4096, chat_template: str | None = None, log=None) -> list[EvalResult]:
    """Evaluate each model on `split`; write predictions and metrics under `output` when given."""
    from corpus.train.data import default_images_root, load_split

    if not models:
        raise UsageError("no model given: pass --model (twice to compare a base and a fine-tuned model)")
    log = log or (lambda msg: None)
    rows = load_split(dataset, split, limit)
    root = default_images_root(dataset, images_root)
    out = Path(output) if output else None
    results = []
    for label, path in labels_for(models):
        results.append(_evaluate_one(label, path, rows, root, out, max_new_tokens, max_length, chat_template, log))
    if out:
        write_json_atomic(out / "metrics.json", {
            "dataset": dataset, "split": split,
            "models": {r.label: {"model": r.model, **r.metrics, "skipped": sum(r.skipped.values()),
                                 "skipped_by_reason": r.skipped, "seconds": round(r.seconds, 2)} for r in results}})
    return results


def _evaluate_one(label, path, rows, root, out, max_new_tokens, max_length, chat_template, log) -> EvalResult:
    import torch

    from corpus.console import progress
    from corpus.train.data import Encoder, Skip, load_image, qa_pairs, to_messages
    from corpus.train.lora import load_model
    from corpus.train.metrics import exact_match, score, token_f1

    start = time.perf_counter()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, processor = load_model(path, dtype=torch.bfloat16 if device == "cuda" else torch.float32, device=device)
    model.eval()
    encoder = Encoder(processor, max_length, chat_template)
    tok = encoder.tokenizer
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    preds, refs, lines, skipped = [], [], [], Counter()
    with progress(unit="rec") as bar:
        task = bar.add_task(f"evaluating {label}", total=len(rows), rate="")
        for row in rows:
            bar.advance(task)
            try:
                image = load_image(row.get("image"), root)
                messages = to_messages(row["conversations"], image is not None)
            except Skip as s:
                skipped[s.reason] += 1
                continue
            for turn, (prompt, reference) in enumerate(qa_pairs(messages)):
                inputs = encoder.prompt(prompt, image)
                n_in = inputs["input_ids"].shape[1]
                if n_in >= max_length:
                    skipped["prompt_exceeds_max_length"] += 1
                    continue
                with torch.no_grad():
                    gen = model.generate(**{k: v.to(device) for k, v in inputs.items()}, do_sample=False,
                                         max_new_tokens=max_new_tokens, pad_token_id=pad)
                prediction = tok.decode(gen[0, n_in:], skip_special_tokens=True).strip()
                preds.append(prediction)
                refs.append(reference)
                lines.append({"id": str(row.get("id")), "turn": turn, "reference": reference, "prediction": prediction,
                              "exact_match": exact_match(prediction, reference),
                              "token_f1": round(token_f1(prediction, reference), 4)})
    if not preds:
        raise TrainError(f"{path}: nothing to evaluate (skipped {dict(skipped)})")
    metrics = score(preds, refs)
    pred_path = None
    if out:
        pred_path = out / f"predictions-{label.replace('/', '_')}.jsonl"
        with atomic_path(pred_path) as tmp, open(tmp, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(json.dumps({"model": label, **line}, ensure_ascii=False) + "\n")
    log(f"{label}: {len(preds)} answers" + (f", skipped {dict(skipped)}" if skipped else ""))
    return EvalResult(label, path, metrics, pred_path, dict(skipped), time.perf_counter() - start)
