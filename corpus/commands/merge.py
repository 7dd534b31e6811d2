"""`corpus merge`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from corpus.cli import command
from corpus.console import err, out

Base = Annotated[str, typer.Option("--base", help="Base model folder or Hub id the adapter was trained on",
                                   show_default=False)]
Adapter = Annotated[Path, typer.Option("--adapter", help="LoRA adapter folder written by `corpus train`",
                                       show_default=False)]
OutDir = Annotated[Path, typer.Option("--output", "-o", help="Folder for the merged model and processor",
                                      show_default=False)]
Dtype = Annotated[str, typer.Option("--dtype", help="Weights dtype for the merge: float32, bfloat16 or float16")]
Tolerance = Annotated[Optional[float], typer.Option(
    "--tolerance", help="Max allowed |logit diff| on the probe (default 1e-3 float32, 0.25 bfloat16, 0.1 float16)")]


@command(rich_help_panel="Train", writes=("output",))
def merge(base: Base, adapter: Adapter, output: OutDir, dtype: Dtype = "float32", tolerance: Tolerance = None) -> None:
    """Fold a LoRA adapter into its base model and verify the merge on a probe batch.

    Saves model and processor, reloads the saved model, and compares its logits with the
    adapter model's on a probe image and prompt. Prints the max absolute difference; exit 1
    (and nothing written) when it exceeds the tolerance.

    Example: corpus merge --base llava-hf/llava-1.5-7b-hf --adapter runs/llava-ptbr -o runs/llava-ptbr-merged
    """
    from corpus.train.merge import merge_adapter

    report = merge_adapter(base, adapter, output, dtype=dtype, tolerance=tolerance,
                           log=lambda m: err.print(m, markup=False, highlight=False))
    out.print(f"max abs diff {report.max_abs_diff:.3g} <= tolerance {report.tolerance:g} "
              f"on {report.probe_tokens} probe tokens", markup=False)
    out.print(f"merged model written to {report.output} ({report.seconds:.1f}s)", markup=False)
