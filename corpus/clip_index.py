"""The on-disk CLIP image-embedding cache, which is also the `clip-search` index.

A folder holding one SQLite file (stdlib, safe to interrupt: each batch is one
transaction)::

    index/embeddings.sqlite
        info(key, value)      model path, model fingerprint, dim, images root
        emb(hash, vec)        L2-normalised float32 image embedding, keyed by the file's content hash
        images(path, hash)    image path (relative to the images root) -> content hash

Keying by content hash means a renamed or copied image is never embedded
twice, and an edited image is embedded again. One index serves one model: the
fingerprint is checked on open, so embeddings of two models never mix.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Iterable

import numpy as np

from corpus.errors import UsageError

DB_NAME = "embeddings.sqlite"


def default_index_dir(model_dir: str | os.PathLike, fingerprint: str) -> Path:
    """~/.cache/corpus/clip/<model name>-<fingerprint>: reused by every run with the same model."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "corpus" / "clip" / f"{Path(model_dir).resolve().name}-{fingerprint[:12]}"


class EmbeddingIndex:
    """Image embeddings by content hash, plus which image paths have which hash."""

    def __init__(self, folder: str | os.PathLike, *, create: bool = True):
        self.folder = Path(folder)
        db = self.folder / DB_NAME
        if not create and not db.is_file():
            raise UsageError(f"{self.folder}: not a CLIP index (no {DB_NAME}); build one with "
                             f"`corpus images ... --clip-model DIR --clip-index {self.folder}`")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.con = sqlite3.connect(db)
        self.con.executescript(
            # A cache: WAL without a sync per batch keeps commits cheap; a crash loses at most
            # the last batches, which the next run embeds again.
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            "CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT);"
            "CREATE TABLE IF NOT EXISTS emb (hash TEXT PRIMARY KEY, vec BLOB NOT NULL);"
            "CREATE TABLE IF NOT EXISTS images (path TEXT PRIMARY KEY, hash TEXT NOT NULL);"
        )

    # -- identity -----------------------------------------------------------------
    def info(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT key, value FROM info"))

    def bind(self, *, model: str, fingerprint: str, images_root: str) -> None:
        """Claim the index for a model, or refuse when another model built it."""
        known = self.info().get("fingerprint")
        if known and known != fingerprint:
            raise UsageError(f"{self.folder} holds embeddings of another model ({self.info().get('model')}); "
                             "use another --clip-index")
        with self.con:
            self.con.executemany("INSERT OR REPLACE INTO info VALUES (?, ?)",
                                 [("model", model), ("fingerprint", fingerprint), ("images_root", images_root)])

    # -- embeddings -----------------------------------------------------------------
    def get_many(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        hashes = list(dict.fromkeys(hashes))
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):  # stay under SQLite's variable limit
            chunk = hashes[i:i + 500]
            q = f"SELECT hash, vec FROM emb WHERE hash IN ({','.join('?' * len(chunk))})"
            for h, blob in self.con.execute(q, chunk):
                found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, vectors: dict[str, np.ndarray], paths: dict[str, str]) -> None:
        with self.con:
            self.con.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?)",
                                 [(h, np.asarray(v, np.float32).tobytes()) for h, v in vectors.items()])
            self.con.executemany("INSERT OR REPLACE INTO images VALUES (?, ?)", list(paths.items()))

    def add_paths(self, paths: dict[str, str]) -> None:
        with self.con:
            self.con.executemany("INSERT OR REPLACE INTO images VALUES (?, ?)", list(paths.items()))

    def __len__(self) -> int:
        return self.con.execute("SELECT count(*) FROM emb").fetchone()[0]

    def matrix(self) -> tuple[list[str], np.ndarray]:
        """All (hashes, embeddings as an n×d float32 matrix), for brute-force search."""
        rows = self.con.execute("SELECT hash, vec FROM emb ORDER BY hash").fetchall()
        if not rows:
            return [], np.zeros((0, 0), np.float32)
        return [h for h, _ in rows], np.stack([np.frombuffer(b, dtype=np.float32) for _, b in rows])

    def paths_by_hash(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for path, h in self.con.execute("SELECT path, hash FROM images ORDER BY path"):
            out.setdefault(h, []).append(path)
        return out

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "EmbeddingIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
