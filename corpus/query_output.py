"""Results of `corpus query`: streamed rows for the terminal, or a file written by DuckDB.

Files are written by DuckDB's COPY (CSV, JSON array, Parquet) into a temp file
that replaces the target only on success, so big results never pass through
Python and a failed query leaves no half-written file.
"""
from __future__ import annotations

import datetime
import decimal
import json
import os
import uuid
from pathlib import Path
from typing import Any, Iterator

from corpus.atomic import atomic_path
from corpus.errors import UsageError
from corpus.query import Corpus, one_line, q

FORMATS = ("table", "csv", "json", "parquet")
_COPY = {"csv": "FORMAT csv, HEADER true", "json": "FORMAT json, ARRAY true", "parquet": "FORMAT parquet"}
_BATCH = 2048


def format_for(path: str | os.PathLike | None, fmt: str | None) -> str:
    """The output format: as given, else from the file's extension, else a table."""
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if path is None:
        if fmt == "parquet":
            raise UsageError("--format parquet needs -o FILE")
        return fmt or "table"
    if fmt in (None, "table"):
        ext = Path(path).suffix.lower().lstrip(".")
        return {"jsonl": "json", "ndjson": "json"}.get(ext, ext) if ext in ("csv", "json", "parquet") else "csv"
    return fmt


def export(corpus: Corpus, sql: str, path: str | os.PathLike, fmt: str) -> int:
    """Write the query's result to `path` in `fmt` (csv, json, parquet); returns the row count."""
    import duckdb

    rel = corpus.sql(sql)
    if rel is None:
        raise UsageError("the statement returns no rows to write (use a SELECT)")
    view = f"_result_{uuid.uuid4().hex[:8]}"
    try:
        rel.create_view(view, replace=True)
        with atomic_path(path) as tmp:
            n = corpus.con.execute(f"COPY {view} TO {q(tmp)} ({_COPY[fmt]})").fetchone()[0]
    except duckdb.Error as e:
        raise UsageError(f"SQL error: {one_line(e)}") from None
    return int(n)


def stream(corpus: Corpus, sql: str) -> tuple[list[str], Iterator[tuple]]:
    """Column names and a lazy iterator over the result rows (nothing held in memory)."""
    import duckdb

    cur = corpus.execute(sql)
    if cur.description is None:
        return [], iter(())
    columns = [d[0] for d in cur.description]

    def rows() -> Iterator[tuple]:
        while True:
            try:
                batch = cur.fetchmany(_BATCH)
            except duckdb.Error as e:  # errors may surface only while fetching
                raise UsageError(f"SQL error: {one_line(e)}") from None
            if not batch:
                return
            yield from batch

    return columns, rows()


def plain(value: Any) -> Any:
    """A value JSON can carry: decimals as floats, dates as ISO strings, nested types kept."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def cell(value: Any) -> str:
    """One value as text for a table or CSV cell: nested values as JSON."""
    if value is None:
        return ""
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(plain(value), ensure_ascii=False)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(plain(value))
