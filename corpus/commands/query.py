"""`corpus query`."""
from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from corpus.cli import command
from corpus.console import err, out
from corpus.options import Output

Args = Annotated[Optional[List[str]], typer.Argument(
    help="Input files (.json, .jsonl, .parquet), then the SQL (unless --named or --list)", show_default=False)]
Named = Annotated[Optional[str], typer.Option("--named", "-n", help="Run a shipped query by name (see --list)")]
ListQueries = Annotated[bool, typer.Option("--list", help="List the named queries and what they need")]
Format = Annotated[Optional[str], typer.Option(
    "--format", "-f", help="table | csv | json | parquet (default: table, or from the -o extension)")]
RejectsIn = Annotated[Optional[Path], typer.Option("--rejects", help="A rejects JSONL file to expose as the `rejects` view")]
MaxRows = Annotated[int, typer.Option("--max-rows", min=0, help="Rows shown in a table (files get all rows)")]


@command(rich_help_panel="Inspect", writes=("output",))
def query(
    args: Args = None,
    named: Named = None,
    list_: ListQueries = False,
    format: Format = None,
    output: Output = None,
    rejects: RejectsIn = None,
    max_rows: MaxRows = 100,
) -> None:
    """Run SQL over corpora with DuckDB: views records, turns, source_turns, rejects.

    records: id, image, n_turns, chars, placeholders, category, source_file, meta (JSON) and its
    scalar fields (lang_score, variant_ptbr, ...). turns: record_id, idx, role, value, chars, words
    (+ source_value, source_chars when translated with --keep-source). Functions: word_count(s),
    english_function_words(s), word_stats(s), tokens(s), normalised_turns(conversations).
    Bad SQL exits 2 with DuckDB's message on one line.

    Example: corpus query train.json "SELECT role, avg(chars) FROM turns GROUP BY role"
    """
    from corpus.queries import get_named, named_queries

    if list_:
        _print_list(named_queries())
        return
    from corpus.errors import UsageError
    from corpus.query import open_corpus
    from corpus.query_output import export, format_for, stream

    args = list(args or [])
    if named:
        nq, inputs = get_named(named), args
    else:
        if len(args) < 2:
            raise UsageError('give input files then the SQL, e.g. corpus query a.json "SELECT count(*) FROM records"')
        nq, inputs = None, args[:-1]
    fmt = format_for(output, format)
    with open_corpus(inputs, rejects) as corpus:
        if nq is not None:
            missing = nq.missing(corpus.catalog)
            if missing:
                raise UsageError(_missing_message(nq.name, missing))
        sql = nq.sql if nq is not None else args[-1]
        if output is not None:
            n = export(corpus, sql, output, fmt)
            err.print(f"{n:,} rows written to {output} ({fmt})")
            return
        columns, rows = stream(corpus, sql)
        if fmt == "table":
            _print_table(columns, rows, max_rows, nq.description if nq else None)
        elif fmt == "csv":
            _print_csv(columns, rows)
        else:
            _print_json(columns, rows)


def _missing_message(name: str, missing: list[str]) -> str:
    from corpus.query import HINTS

    whats, hints = [], []
    for req in missing:
        view, _, column = req.partition(".")
        whats.append(f"column {view}.{column}" if column else f"the {view} view")
        hint = HINTS.get(column or view)
        if hint and hint not in hints:
            hints.append(hint)
    return f"named query {name!r} needs {' and '.join(whats)}, which these inputs lack" + (
        f" ({'; '.join(hints)})" if hints else "")


def _print_list(queries) -> None:
    from rich.table import Table

    t = Table(title="named queries (corpus query INPUT --named NAME)")
    t.add_column("name", style="bold")
    t.add_column("what it shows")
    t.add_column("needs")
    for nq in queries.values():
        t.add_row(nq.name, nq.description, ", ".join(nq.requires))
    out.print(t)


def _print_table(columns, rows, max_rows: int, title: str | None) -> None:
    from rich.table import Table

    from corpus.query_output import cell

    t = Table(title=title)
    for c in columns:
        t.add_column(c, overflow="fold")
    shown = more = 0
    for row in rows:
        if shown >= max_rows:
            more = 1
            break
        t.add_row(*(cell(v) for v in row))
        shown += 1
    out.print(t)
    if more:
        err.print(f"(first {max_rows:,} rows shown; use --max-rows, or -o FILE for all rows)")


def _print_csv(columns, rows) -> None:
    from corpus.query_output import cell

    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([cell(v) for v in row])


def _print_json(columns, rows) -> None:
    from corpus.query_output import plain

    sys.stdout.write("[")
    for i, row in enumerate(rows):
        sys.stdout.write(("," if i else "") + "\n" + json.dumps(dict(zip(columns, plain(list(row)))), ensure_ascii=False))
    sys.stdout.write("\n]\n")
