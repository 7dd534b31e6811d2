"""`corpus report`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from corpus.cli import command
from corpus.console import err, out
from corpus.options import Input

ReportOut = Annotated[Path, typer.Option("--output", "-o", help="The report: .html (or .md for Markdown only)")]
RejectsIn = Annotated[Optional[Path], typer.Option("--rejects", help="A rejects JSONL file to chart by reason")]
StatsIn = Annotated[Optional[List[Path]], typer.Option(
    "--stats", help="Stats JSON files of earlier steps (repeatable); translate's give the memory chart")]
Markdown = Annotated[bool, typer.Option("--markdown", help="Also write <stem>.md and <stem>_figures/*.png")]


@command(rich_help_panel="Inspect", writes=("output",))
def report(
    input: Input,
    output: ReportOut = Path("report.html"),
    rejects: RejectsIn = None,
    stats: StatsIn = None,
    markdown: Markdown = False,
) -> None:
    """Write a self-contained HTML quality report: plots plus the tables behind them.

    Turn lengths (source vs pt-BR when kept), turns per record, language and variant scores,
    rejects by reason, translation-memory hits vs engine calls. Sections without data say why.

    Example: corpus report train.json --rejects rejects.jsonl --stats translate.stats.json -o report.html
    """
    from corpus.report import build_report

    with err.status("building the report") as status:
        rep = build_report(input, output, rejects=rejects, stats=stats or [], markdown=markdown,
                           on_step=lambda s: status.update(s))
    omitted = [s.title for s in rep.sections if s.omitted]
    out.print(f"{', '.join(rep.outputs)}: {len(rep.figures)} figures, {len(rep.sections)} sections "
              f"in {rep.seconds:.1f} s")
    if omitted:
        err.print(f"omitted (no data): {', '.join(omitted)}")
