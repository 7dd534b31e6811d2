"""A Hub-ready dataset folder: Parquet shards per split, plus the dataset card.

Layout (what ``datasets.load_dataset(REPO_DIR)`` and the Hub viewer expect)::

    REPO_DIR/README.md
    REPO_DIR/data/train-00000-of-00002.parquet
    REPO_DIR/data/train-00001-of-00002.parquet
    REPO_DIR/data/test-00000-of-00001.parquet

Columns, with Arrow-safe types (Arrow rejects an ``id`` that is an int in one
row and a string in the next):

- ``id`` string; ``image`` nullable string (the path as written in the
  corpus), or with ``--embed-images`` a ``datasets.Image`` struct
  ``{bytes, path}`` whose ``path`` keeps that same relative path;
- ``conversations`` ``list<struct<from: string, value: string>>``;
- ``extra`` (only when some record needs it) JSON string: unknown top-level
  keys, unknown turn keys under ``"__turn_extra__"`` (the corpus/parquet.py
  convention) and, under ``"__layout__"``, what a round trip needs and the
  columns cannot hold: an integer id, an unusual key order, an explicit
  ``"image": null``;
- ``meta`` (only when some record has one) JSON string of the record's ``meta``.

`export_llava` turns the folder back into the exact LLaVA JSON it came from.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Iterator

from corpus.atomic import write_json_atomic
from corpus.console import track
from corpus.errors import UnusableInput, UsageError, check_counts
from corpus.io import FORMATS, Problem, RecordWriter, iter_raw
from corpus.parquet import CORE_KEYS, decode_row, encode_row  # noqa: F401  (re-exported)
from corpus.record import Record, RecordShapeError
from corpus.rejects import Rejects

DATA_DIR = "data"
SPLIT_ORDER = ("train", "validation", "test")
SHARD_NAME = re.compile(r"^(?P<split>\w+(?:\.\w+)*)-(?P<i>\d{5})-of-(?P<n>\d{5})\.parquet$")
DEFAULT_SHARD_SIZE = 500 * 1000**2  # the Hub's advice: shards of a few hundred MB
_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}
_NOT_SPLITS = re.compile(r"(\.stats\.json|\.rejects\.jsonl|rejects\.jsonl)$")


def arrow_schema(*, embed: bool, extra: bool, meta: bool):
    """The shard schema, with the `datasets` features in its metadata (so Image decodes)."""
    import pyarrow as pa

    turn = pa.struct([("from", pa.string()), ("value", pa.string())])
    string = {"dtype": "string", "_type": "Value"}
    fields = [("id", pa.string()),
              ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())]) if embed else pa.string()),
              ("conversations", pa.list_(turn))]
    features = {"id": string, "image": {"_type": "Image"} if embed else string,
                "conversations": {"feature": {"from": string, "value": string}, "_type": "List"}}
    for name, wanted in (("extra", extra), ("meta", meta)):
        if wanted:
            fields.append((name, pa.string()))
            features[name] = string
    hf = json.dumps({"info": {"features": features}})
    return pa.schema(fields, metadata={"huggingface": hf})


# ---------------------------------------------------------------- inputs

def parse_size(text: str | int) -> int:
    """``"500MB"`` -> 500_000_000."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*([\d.]+)\s*([KMG]?I?B?)\s*", text.upper())
    if not m or m.group(2) not in _UNITS:
        raise UsageError(f"--max-shard-size: {text!r} is not a size like 500MB")
    return max(1, int(float(m.group(1)) * _UNITS[m.group(2)]))


def split_files(folder: Path) -> list[Path]:
    """The files of a folder that `find_splits` takes for splits (not stats, rejects or hidden files)."""
    return [f for f in sorted(folder.iterdir()) if f.is_file() and f.suffix.lower() in FORMATS
            and not _NOT_SPLITS.search(f.name) and not f.name.startswith(".")]


def find_splits(sources: Iterable[str | os.PathLike]) -> dict[str, Path]:
    """Split name -> file. A source is a folder of ``{split}.jsonl|json|parquet``, a file
    named after its split, or ``name=path``. Train, validation, test come first."""
    found: dict[str, Path] = {}

    def add(name: str, path: Path) -> None:
        if not re.fullmatch(r"\w+(\.\w+)*", name):
            raise UsageError(f"{path}: split name {name!r} must be letters, digits or _")
        if name in found:
            raise UsageError(f"split {name!r} given twice: {found[name]} and {path}")
        found[name] = path

    for src in sources:
        name, sep, path = str(src).partition("=")
        if sep and not Path(src).exists():
            add(name, Path(path))
            continue
        p = Path(src)
        if p.is_dir():
            for f in split_files(p):
                add(f.name[: -len(f.suffix)], f)
        elif p.is_file():
            add(p.name[: -len(p.suffix)], p)
        else:
            raise UnusableInput(p, "unreadable", "no such file or folder")
    if not found:
        raise UsageError("no split files found: give a folder of {split}.jsonl files (from `corpus split`) "
                         "or files such as train.jsonl test.jsonl")
    for name, path in found.items():
        if not path.is_file():
            raise UnusableInput(path, "unreadable", "no such file")
    order = [s for s in SPLIT_ORDER if s in found] + sorted(s for s in found if s not in SPLIT_ORDER)
    return {s: found[s] for s in order}


def _plainly_valid(d: Any) -> bool:
    """The common case of Record.from_dict's rules, checked without building a Record."""
    if not isinstance(d, dict):
        return False
    rid, image, conv = d.get("id"), d.get("image"), d.get("conversations")
    if type(rid) is not str and type(rid) is not int or not isinstance(conv, list):
        return False
    if image is not None and not isinstance(image, str):
        return False
    for t in conv:
        if not isinstance(t, dict) or not isinstance(t.get("from"), str) or not isinstance(t.get("value"), str):
            return False
    return True


class DictReader:
    """Valid LLaVA dicts from a file, as they are (``Record.from_dict(d).to_dict() == d``).

    Records are judged by `Record.from_dict`: a fast check lets the usual records
    through, and anything it doubts goes to Record for the verdict and the message.
    """

    def __init__(self, path: Path):
        self.path, self.problems, self.n_items = path, [], 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item in iter_raw(self.path):
            self.n_items += 1
            if item.error:
                self.problems.append(Problem(str(self.path), item.position, *item.error))
                continue
            d = item.obj
            if not _plainly_valid(d):
                try:
                    Record.from_dict(d)
                except RecordShapeError as e:
                    rid = d.get("id") if isinstance(d, dict) else None
                    self.problems.append(Problem(str(self.path), item.position, e.rule, e.detail, rid, d))
                    continue
            yield d


# ---------------------------------------------------------------- shards

class _ShardWriter:
    """Writes one split's rows into shards of about `max_bytes`, named once their count is known."""

    def __init__(self, staging: Path, split: str, schema, max_bytes: int, group_rows: int):
        self.staging, self.split, self.schema = staging, split, schema
        self.max_bytes, self.group_rows = max_bytes, group_rows
        self.parts: list[Path] = []
        self.rows = 0
        self._writer = None
        self._buf: list[dict] = []
        self._bytes = 0

    def write(self, row: dict[str, Any], nbytes: int) -> None:
        if self._writer is None or self._bytes + nbytes > self.max_bytes and self._bytes:
            self._rotate()
        self._buf.append(row)
        self._bytes += nbytes
        self.rows += 1
        if len(self._buf) >= self.group_rows:
            self._flush()

    def _rotate(self) -> None:
        import pyarrow.parquet as pq

        self._close_current()
        path = self.staging / f"{self.split}.{len(self.parts)}.parquet"
        self._writer = pq.ParquetWriter(str(path), self.schema)
        self.parts.append(path)
        self._bytes = 0

    def _flush(self) -> None:
        import pyarrow as pa

        if self._buf:
            self._writer.write_table(pa.Table.from_pylist(self._buf, schema=self.schema))
            self._buf = []

    def _close_current(self) -> None:
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None

    def close(self) -> list[Path]:
        if self.rows == 0:
            return []
        self._close_current()
        n = len(self.parts)
        final = []
        for i, part in enumerate(self.parts):
            target = part.with_name(f"{self.split}-{i:05d}-of-{n:05d}.parquet")
            part.rename(target)
            final.append(target)
        return final


def build_repo(sources: Iterable[str | os.PathLike], repo_dir: str | os.PathLike, *,
               images_root: str | os.PathLike | None = None, embed_images: bool = False,
               max_shard_size: str | int = DEFAULT_SHARD_SIZE, rejects: str | os.PathLike | None = None,
               stats: str | os.PathLike | None = None) -> dict[str, Any]:
    """Write ``repo_dir/data/*.parquet`` from split files; return (and write) the stats.

    Records whose image is missing under `images_root` are rejected with the
    reason from corpus.imagefile. The old shards are replaced only when every
    new one is written (they are built in a hidden staging folder first).
    """
    from corpus.imagefile import image_problem, resolve_image

    if embed_images and images_root is None:
        raise UsageError("--embed-images needs --images-root (where the image files are)")
    splits = find_splits(sources)
    repo_dir = Path(repo_dir)
    max_bytes = parse_size(max_shard_size)
    stats_path = Path(stats) if stats else repo_dir.with_name(repo_dir.name + ".stats.json")
    rejects = Path(rejects) if rejects else repo_dir.with_name(repo_dir.name + ".rejects.jsonl")  # not pushed
    started = time.monotonic()
    # All shards share one schema; `extra`/`meta` are dropped at the end if no row used them.
    schema = arrow_schema(embed=embed_images, extra=True, meta=True)
    group_rows = 100 if embed_images else 2000
    used = {"extra": False, "meta": False}
    repo_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=repo_dir))
    records_in = 0
    per_split: dict[str, dict[str, Any]] = {}
    try:
        with Rejects(rejects) as sink:
            for name, path in splits.items():
                reader = DictReader(path)
                shards = _ShardWriter(staging, name, schema, max_bytes, group_rows)
                for d in track(reader, f"build {name}"):
                    row = encode_row(d)
                    nbytes = len(row["id"]) + sum(len(t["value"]) for t in row["conversations"]) \
                        + len(row["extra"] or "") + len(row["meta"] or "")
                    if images_root is not None and row["image"] is not None:
                        problem = image_problem(images_root, row["image"])
                        if problem:
                            sink.add(Record.from_dict(d), problem[0], stage="build", detail=problem[1])
                            continue
                        if embed_images:
                            data = resolve_image(images_root, row["image"]).read_bytes()
                            row["image"] = {"bytes": data, "path": row["image"]}
                            nbytes += len(data)
                    used["extra"] |= row["extra"] is not None
                    used["meta"] |= row["meta"] is not None
                    shards.write(row, nbytes)
                for problem in reader.problems:
                    sink.add_problem(problem, stage="build")
                records_in += reader.n_items
                per_split[name] = {"source": str(path), "records": shards.rows, "parts": shards.close()}
        final = arrow_schema(embed=embed_images, extra=used["extra"], meta=used["meta"])
        parts = [p for s in per_split.values() for p in s["parts"]]
        if final.names != schema.names:
            for part in parts:
                _drop_columns(part, final, group_rows)
        _replace_shards(repo_dir, staging, parts)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    data = repo_dir / DATA_DIR
    result = {
        "command": "build",
        "input": [str(p) for p in splits.values()],
        "output": str(repo_dir),
        "records_in": records_in,
        "records_out": sum(s["records"] for s in per_split.values()),
        "rejected": sink.count,
        "rejected_by_reason": dict(sink.by_reason),
        "rejects": str(rejects),
        "seconds": round(time.monotonic() - started, 3),
        "embed_images": embed_images,
        "images_root": str(images_root) if images_root is not None else None,
        "columns": final.names,
        "splits": {name: {"source": s["source"], "records": s["records"],
                          "shards": [str(data / p.name) for p in s["parts"]],
                          "bytes": sum((data / p.name).stat().st_size for p in s["parts"])}
                   for name, s in per_split.items()},
    }
    check_counts(result)
    write_json_atomic(stats_path, result)
    result["stats_file"] = str(stats_path)
    return result


def _drop_columns(part: Path, schema, group_rows: int) -> None:
    """Rewrite a staged shard with only `schema`'s columns (and its features metadata)."""
    import pyarrow.parquet as pq

    tmp = part.with_suffix(".narrow")
    src = pq.ParquetFile(part)
    with pq.ParquetWriter(str(tmp), schema) as w:
        for batch in src.iter_batches(batch_size=group_rows, columns=schema.names):
            w.write_batch(batch.cast(schema))
    src.close()
    os.replace(tmp, part)


def _replace_shards(repo_dir: Path, staging: Path, new: list[Path]) -> None:
    """Swap in the new shards; stale ones from an earlier build would be read as data."""
    data = repo_dir / DATA_DIR
    data.mkdir(exist_ok=True)
    for old in data.glob("*.parquet"):
        if SHARD_NAME.match(old.name):
            old.unlink()
    for p in new:
        os.replace(p, data / p.name)


# ---------------------------------------------------------------- reading back

def repo_splits(repo_dir: str | os.PathLike) -> dict[str, list[Path]]:
    """Split -> its shards in order, from ``repo_dir/data``."""
    data = Path(repo_dir) / DATA_DIR
    found: dict[str, list[Path]] = {}
    for p in sorted(data.glob("*.parquet")) if data.is_dir() else ():
        m = SHARD_NAME.match(p.name)
        if m:
            found.setdefault(m.group("split"), []).append(p)
    if not found:
        raise UnusableInput(data, "not_a_dataset", "no data/{split}-NNNNN-of-NNNNN.parquet shards (run corpus build)")
    order = [s for s in SPLIT_ORDER if s in found] + sorted(s for s in found if s not in SPLIT_ORDER)
    return {s: found[s] for s in order}


def iter_repo(repo_dir: str | os.PathLike, split: str) -> Iterator[dict[str, Any]]:
    """The LLaVA dicts of one split, in shard order."""
    import pyarrow.parquet as pq

    for shard in repo_splits(repo_dir)[split]:
        for batch in pq.ParquetFile(shard).iter_batches(batch_size=256):
            for row in batch.to_pylist():
                yield decode_row(row)


def export_llava(repo_dir: str | os.PathLike, out: str | os.PathLike,
                 splits: Iterable[str] | None = None) -> dict[str, int]:
    """Write the LLaVA records of `splits` (default: all, in split order) to `out`.

    Returns records written per split.
    """
    available = repo_splits(repo_dir)
    wanted = list(splits) if splits else list(available)
    unknown = [s for s in wanted if s not in available]
    if unknown:
        raise UsageError(f"{repo_dir}: no split {', '.join(unknown)}; it has {', '.join(available)}")
    counts: dict[str, int] = {}
    with RecordWriter(out) as w:
        for split in wanted:
            before = w.count
            for d in iter_repo(repo_dir, split):
                w.write(d)
            counts[split] = w.count - before
    return counts
