"""`corpus images`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from corpus.cli import command
from corpus.console import err, out
from corpus.errors import UsageError
from corpus.options import Input, Output, Rejects, Stats

ImagesRootRequired = Annotated[Path, typer.Option(
    "--images-root", help="Folder the records' `image` paths are relative to", show_default=False)]
MinSide = Annotated[int, typer.Option("--min-side", help="Drop images whose shorter side is below this (px)")]
PhashDistance = Annotated[int, typer.Option(
    "--phash-distance", help="Near-duplicate when within this many pHash bits of a kept image; -1: off")]
ClipModelDir = Annotated[Optional[Path], typer.Option(
    "--clip-model", help="Local transformers CLIP model folder: score image–text alignment")]
ClipIndexDir = Annotated[Optional[Path], typer.Option(
    "--clip-index", help="Image-embedding cache and clip-search index "
    "\\[default: ~/.cache/corpus/clip/<model>-<fingerprint>]")]
MinClipScore = Annotated[Optional[float], typer.Option(
    "--min-clip-score", help="Drop records whose CLIP cosine similarity is below this")]
BatchSize = Annotated[int, typer.Option("--batch-size", help="Images per CLIP forward pass")]


@command(rich_help_panel="Filter", writes=("output", "rejects", "stats", "clip_index"))
def images(
    input: Input,
    images_root: ImagesRootRequired,
    output: Output = None,
    rejects: Rejects = None,
    stats: Stats = None,
    min_side: MinSide = 32,
    phash_distance: PhashDistance = 4,
    clip_model: ClipModelDir = None,
    clip_index: ClipIndexDir = None,
    min_clip_score: MinClipScore = None,
    batch_size: BatchSize = 32,
) -> None:
    """Check every record's image: under the root, present, decodable, true format, big enough, not a near-duplicate.

    With --clip-model, score image–text alignment into meta.clip_score; --min-clip-score drops the low ones.

    CLIP reads the English source turn when translate kept it (--keep-source), else the record's own text.

    Without -o it only reports, and exits 1 when any record would be dropped.

    Example: corpus images pt.json --images-root images -o pt.img.json --rejects img.rejects.jsonl --clip-model clip-vit-large-patch14 --min-clip-score 0.2
    """
    from corpus.images_run import check_images

    if batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    res = check_images(input, images_root, output=output, rejects=rejects, stats=stats, min_side=min_side,
                       phash_distance=phash_distance, clip_model=clip_model, clip_index=clip_index,
                       min_clip_score=min_clip_score, batch_size=batch_size)
    out.print(_reasons_table(res))
    out.print(_reuse_table(res["image_reuse"]))
    clip = next((s for s in res["stages"] if s["stage"] == "clip"), None)
    if clip:
        q = clip["score_quantiles"]
        out.print(f"CLIP: {clip['scored']:,} scored, {clip['images_embedded']:,} images embedded, "
                  f"{clip['images_cached']:,} from cache ({clip['index']})"
                  + (f"; score p5 {q['p5']} · median {q['p50']} · p95 {q['p95']}" if q else ""))
    out.print(f"{res['records_in']:,} in = {res['records_out']:,} kept + {res['rejected']:,} rejected"
              f" ({res['seconds']:.1f} s)")
    if output is not None:
        err.print(f"written to {output}; rejects in {res['rejects']}; stats in {res['stats']}")
    elif res["rejected"]:
        raise typer.Exit(1)


def _reasons_table(res: dict) -> Table | str:
    if not res["rejected_by_reason"]:
        return f"{res['input']}: all {res['records_in']:,} records pass"
    table = Table(title=f"{res['input']}: rejected records by reason")
    table.add_column("reason")
    table.add_column("records", justify="right")
    for reason, n in res["rejected_by_reason"].items():
        table.add_row(reason, f"{n:,}")
    return table


def _reuse_table(reuse: dict) -> Table:
    table = Table(title=f"image reuse: {reuse['unique_images']:,} images for {reuse['records_with_image']:,} records"
                        f" ({reuse['text_only_records']:,} text-only)")
    table.add_column("records per image")
    table.add_column("images", justify="right")
    for uses, n in reuse["images_by_use"].items():
        table.add_row(uses, f"{n:,}")
    for img, n in reuse["most_used"][:5]:
        table.add_row(f"[dim]{img}[/dim]", f"[dim]used {n}×[/dim]")
    return table
