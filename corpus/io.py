"""Streaming readers and atomic writers for LLaVA corpora: .json, .jsonl, .parquet.

The format is chosen by extension. A `.json` list is parsed one item at a time
(``JSONDecoder.raw_decode`` over a sliding buffer), so a 229 MB file is never
held as a Python list. Bad items (a malformed JSONL line, a list item that is
not an object, a record of the wrong shape) are counted and kept in
``reader.problems`` with their position: never silently skipped.

Example:
    reader = RecordReader("detail_23k.json")
    with RecordWriter("out.jsonl") as w:
        for rec in reader:
            w.write(rec)
    print(reader.problems)
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from corpus.atomic import atomic_path
from corpus.errors import UnsupportedFormat, UnusableInput
from corpus.record import Record, RecordShapeError

CHUNK = 1 << 20
_WS = re.compile(r"[ \t\n\r]*")
FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def detect_format(path: str | os.PathLike) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UnsupportedFormat(path)
    return fmt


@dataclass
class Problem:
    """A piece of input that could not become a Record."""

    path: str
    position: str  # "item 12 (offset 3456)" or "line 7"
    rule: str  # malformed_json | schema
    detail: str
    record_id: Any = None
    raw: Any = None  # the parsed item, when it parsed but broke the schema: rejects keep it whole

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.path, "position": self.position, "id": self.record_id,
                "rule": self.rule, "detail": self.detail}


@dataclass
class RawItem:
    index: int
    position: str
    obj: Any = None
    error: tuple[str, str] | None = None  # (rule, detail) when the item did not parse
    offset: int = -1  # character offset in the stream, when known


def iter_raw(path: str | os.PathLike) -> Iterator[RawItem]:
    """Yield every item of the input with its position, parsed but not interpreted."""
    fmt = detect_format(path)
    if not Path(path).is_file():
        raise UnusableInput(path, "unreadable", "a folder, not a file" if Path(path).is_dir() else "no such file")
    try:
        if fmt == "json":
            yield from _iter_json_list(path)
        elif fmt == "jsonl":
            yield from _iter_jsonl(path)
        else:
            from corpus.parquet import iter_parquet_dicts

            import pyarrow as pa

            try:
                rows = iter_parquet_dicts(path)
                for i, d in enumerate(rows):
                    yield RawItem(i, f"row {i}", d)
            except pa.ArrowInvalid as e:
                raise UnusableInput(path, "format", f"not a readable Parquet file: {' '.join(str(e).split())}") from None
    except UnicodeDecodeError as e:
        raise UnusableInput(path, "encoding", f"not UTF-8: {e.reason}", f"byte {e.start}") from None
    except OSError as e:
        raise UnusableInput(path, "unreadable", e.strerror or str(e)) from None


def _iter_json_list(path) -> Iterator[RawItem]:
    with open(path, encoding="utf-8-sig") as f:
        yield from scan_list(f, path)


def scan_list(f, path, *, opened: bool = False, closed: bool = True, error=None) -> Iterator[RawItem]:
    """Parse items of a JSON list from text stream `f`, one at a time.

    `opened`: the stream starts at the first item (no ``[``), as a region of a
    file does; `closed=False`: the stream may end after an item's ``,``.
    Errors raise `error(rule, detail, position)` (UnusableInput by default).
    """
    fail = error or (lambda rule, detail, where: UnusableInput(path, rule, detail, where))
    dec = json.JSONDecoder()
    buf = f.read(CHUNK)
    eof = len(buf) < CHUNK
    base = 0  # characters dropped before buf[0]
    lines = 0  # newlines dropped before buf[0]

    def where(p: int) -> str:
        return f"line {lines + buf.count(chr(10), 0, p) + 1}, offset {base + p}"

    def refill(keep_from: int) -> int:
        nonlocal buf, eof, base, lines
        lines += buf.count("\n", 0, keep_from)
        base += keep_from
        more = f.read(max(CHUNK, len(buf)))
        eof = not more
        buf = buf[keep_from:] + more
        return 0

    def skip_ws(p: int) -> int:
        p = _WS.match(buf, p).end()
        while p >= len(buf) and not eof:
            p = _WS.match(buf, refill(p)).end()
        return p

    pos = skip_ws(0)
    if not opened:
        if pos >= len(buf):
            raise fail("not_a_list", "file is empty", None)
        if buf[pos] != "[":
            raise fail("not_a_list", "a .json corpus must be a JSON list of records "
                       "(use .jsonl for one record per line)", where(pos))
        pos = skip_ws(pos + 1)
        if pos < len(buf) and buf[pos] == "]":
            return
    index = 0
    while True:
        if pos >= len(buf) and not closed:
            return
        try:
            obj, end = dec.raw_decode(buf, pos)
            if end >= len(buf) and not eof:  # a scalar may continue in the next chunk
                raise json.JSONDecodeError("chunk end", buf, end)
        except json.JSONDecodeError as e:
            if not eof:
                pos = refill(pos)
                continue
            raise fail("malformed_json", e.msg, f"item {index}, {where(e.pos)}") from None
        yield RawItem(index, f"item {index} (offset {base + pos})", obj, offset=base + pos)
        index += 1
        pos = skip_ws(end)
        if pos >= len(buf):
            raise fail("malformed_json", "list is not closed with ']'", where(pos))
        c = buf[pos]
        if c == "]" and closed:
            rest = buf[pos + 1:] + f.read()
            if rest.strip():
                raise fail("malformed_json", "extra data after the list", where(pos + 1))
            return
        if c != ",":
            raise fail("malformed_json", f"expected ',' or ']' after item {index - 1}, got {c!r}", where(pos))
        pos = skip_ws(pos + 1)


def _iter_jsonl(path) -> Iterator[RawItem]:
    loads = json.loads
    with open(path, encoding="utf-8-sig") as f:
        index = 0
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield RawItem(index, f"line {line_no}", loads(line))
            except json.JSONDecodeError as e:
                yield RawItem(index, f"line {line_no}, column {e.colno}", None, ("malformed_json", e.msg))
            index += 1


class RecordReader:
    """Iterate `Record`s from a file; bad items land in `problems`, counted, with positions.

    ``n_items`` counts everything read (good and bad), so
    ``n_items == n_records + len(problems)`` always holds.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.format = detect_format(self.path)
        self.problems: list[Problem] = []
        self.n_items = 0
        self.n_records = 0

    def __iter__(self) -> Iterator[Record]:
        for item in iter_raw(self.path):
            self.n_items += 1
            if item.error:
                self.problems.append(Problem(str(self.path), item.position, *item.error))
                continue
            try:
                rec = Record.from_dict(item.obj)
            except RecordShapeError as e:
                rid = item.obj.get("id") if isinstance(item.obj, dict) else None
                self.problems.append(Problem(str(self.path), item.position, e.rule, e.detail, rid, item.obj))
                continue
            self.n_records += 1
            yield rec


def read_records(path: str | os.PathLike) -> Iterator[Record]:
    """Shortcut when the caller doesn't need the problems list (tests, scripts)."""
    return iter(RecordReader(path))


class RecordWriter:
    """Write records atomically: the target appears only when `close()` succeeds.

    On an exception inside ``with``, the temp file is removed and the target is untouched.
    """

    def __init__(self, path: str | os.PathLike, *, with_meta: bool = True):
        self.path = Path(path)
        self.format = detect_format(self.path)
        self.with_meta = with_meta
        self.count = 0
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        if self.format == "parquet":
            from corpus.parquet import ParquetRecordWriter

            self._pq = ParquetRecordWriter(self._tmp)
        else:
            self._f = open(self._tmp, "w", encoding="utf-8")
            if self.format == "json":
                self._f.write("[")

    def write(self, record: Record | dict) -> None:
        d = record.to_dict(with_meta=self.with_meta) if isinstance(record, Record) else record
        if self.format == "parquet":
            self._pq.write(d)
        else:
            line = json.dumps(d, ensure_ascii=False)
            if self.format == "json":
                self._f.write(("\n" if self.count == 0 else ",\n") + line)
            else:
                self._f.write(line + "\n")
        self.count += 1

    def write_all(self, records) -> int:
        for r in records:
            self.write(r)
        return self.count

    def close(self) -> None:
        if self.format == "parquet":
            self._pq.close()
        else:
            if self.format == "json":
                self._f.write("\n]\n" if self.count else "]\n")
            self._f.close()
        self._ctx.__exit__(None, None, None)

    def abort(self, exc: BaseException | None = None) -> None:
        if self.format == "parquet":
            self._pq.close()
        else:
            self._f.close()
        e = exc or RuntimeError("aborted")
        try:
            self._ctx.__exit__(type(e), e, e.__traceback__)
        except BaseException:
            pass

    def __enter__(self) -> "RecordWriter":
        return self

    def __exit__(self, et, ev, tb) -> None:
        if et is None:
            self.close()
        else:
            self.abort(ev)


def write_records(path: str | os.PathLike, records, *, with_meta: bool = True) -> int:
    with RecordWriter(path, with_meta=with_meta) as w:
        return w.write_all(records)
