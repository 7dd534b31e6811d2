"""`corpus translate`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from corpus.cli import command
from corpus.console import err, out
from corpus.options import Input, Output, Rejects, Stats

Engine = Annotated[str, typer.Option("--engine", "-e", help="Engine name (see `corpus engines`)")]
Cache = Annotated[Optional[Path], typer.Option(
    "--cache", help="Translation-memory file (SQLite) \\[default: $CORPUS_TM or ~/.cache/corpus/translation-memory.sqlite]")]
ENGINE_PANEL = "Engine options"


@command(rich_help_panel="Translate", writes=("output", "cache", "rejects", "stats"))
def translate(
    input: Input,
    output: Output = None,
    engine: Engine = "bergamot",
    source: Annotated[str, typer.Option("--source", help="Source language")] = "en",
    target: Annotated[str, typer.Option("--target", help="Target language")] = "pt-BR",
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Engine threads")] = 2,
    cache: Cache = None,
    roles: Annotated[str, typer.Option("--roles", help="Comma-separated roles to translate")] = "human,gpt",
    keep_source: Annotated[bool, typer.Option(
        "--keep-source", help='Keep the source turns in "source_conversations" (bilingual records)')] = False,
    shard: Annotated[Optional[str], typer.Option(
        "--shard", help="Translate only shard K of N (by id hash), e.g. 2/4")] = None,
    on_error: Annotated[str, typer.Option(
        "--on-error", help="A record that fails: reject | keep-source (flagged) | fail (stop)")] = "reject",
    rejects: Rejects = None,
    stats: Stats = None,
    api_key: Annotated[Optional[str], typer.Option(
        "--api-key", help="API key (else the engine's environment variable)", rich_help_panel=ENGINE_PANEL)] = None,
    base_url: Annotated[Optional[str], typer.Option(
        "--base-url", help="Server URL (libre)", rich_help_panel=ENGINE_PANEL)] = None,
    rps: Annotated[Optional[float], typer.Option(
        "--rps", min=0.001, help="Max requests per second", rich_help_panel=ENGINE_PANEL)] = None,
    timeout: Annotated[Optional[float], typer.Option(
        "--timeout", min=0.001, help="Seconds per engine call", rich_help_panel=ENGINE_PANEL)] = None,
    retries: Annotated[Optional[int], typer.Option(
        "--retries", min=0, help="Retries on timeouts, 429 and 5xx", rich_help_panel=ENGINE_PANEL)] = None,
    argos_package: Annotated[Optional[Path], typer.Option(
        "--argos-package", help="Install this .argosmodel first (argos)", rich_help_panel=ENGINE_PANEL)] = None,
) -> None:
    """Translate a LLaVA corpus, keeping <image>, boxes, code, numbers and layout intact.

    Sentences are translated once each (a translation memory, reused across
    runs); a killed run resumes where it stopped. The output defaults to
    INPUT.<target>.json beside the input; rejects and stats go beside the output.

    Example: corpus translate detail_23k.json --engine bergamot --workers 2 --keep-source
    """
    from corpus.translate.run import translate_file

    options = {k: v for k, v in dict(api_key=api_key, base_url=base_url, rps=rps, timeout=timeout,
                                     retries=retries, argos_package=argos_package).items() if v is not None}
    role_list = tuple(r.strip() for r in roles.split(",") if r.strip())
    res = translate_file(input, output, engine=engine, source=source, target=target, workers=workers,
                         cache=cache, roles=role_list, keep_source=keep_source, on_error=on_error,
                         rejects=rejects, stats=stats, shard=shard, **options)
    out.print(
        f"{res['records_out']:,} of {res['records_in']:,} records translated to {res['output']} "
        f"({res['rejected']:,} rejected{', ' + str(res['kept_source']) + ' kept source' if res['kept_source'] else ''}); "
        f"segments: {res['segments_total']:,} total, {res['segments_unique']:,} unique, "
        f"{res['memory_hits']:,} from memory, {res['segments_translated']:,} translated "
        f"({res['segments_per_s']:,} seg/s, {res['seconds']:.1f} s)")
    if res["rejected"]:
        reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(res["rejected_by_reason"].items(), key=lambda kv: -kv[1]))
        err.print(f"rejected: {reasons} (see {res['rejects']})")
    err.print(f"stats: {res['stats']}")
