"""Send unique segments to an engine with N threads; commit each result to the memory as it arrives.

Batches of ``engine.batch_size`` (default 8) go to a thread pool with at most
2×workers batches in flight, so memory stays bounded. The main thread alone
touches SQLite: each finished batch is committed before the next is awaited,
so a SIGKILL loses at most the batches in flight.

A translation that lost or invented a ``[n]`` token is retried with tokens
spelled ``XNUMn`` (the other shape that survived measurement), then by
translating the text between tokens piece by piece, which cannot lose one.
A batch that raises is retried one segment at a time; segments that still
fail are reported in `failed` (never stored), so a re-run tries them again.
"""
from __future__ import annotations

import re
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Callable, Iterable, Iterator

from corpus.errors import EngineFailed, EngineUnavailable
from corpus.placeholders import TOKEN, token_problems
from corpus.segment import has_words

_ALT = re.compile(r"XNUM(\d+)")
GIVE_UP_AFTER = 50  # consecutive failures with no success at all: the engine is down, stop


def _chunks(items: Iterable[str], n: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for it in items:
        batch.append(it)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch


class Pool:
    def __init__(self, engine, memory=None, workers: int = 1, fail_fast: bool = False):
        self.engine, self.memory = engine, memory
        self.workers = max(1, int(workers))
        self.fail_fast = fail_fast
        self.batch_size = max(1, int(getattr(engine, "batch_size", 8) or 8))
        self.failed: dict[str, str] = {}  # segment -> last error
        self.batches = 0  # translate_batch calls made by this pool
        self.sent = 0  # segments handed to the engine (fallback pieces included)
        self.translated = 0  # unique segments translated and stored
        self.fallbacks = 0
        self._streak = 0
        self._lock = threading.Lock()

    # ---- worker side (threads): engine calls only, no SQLite ----
    def _call(self, texts: list[str]) -> list[str]:
        with self._lock:
            self.batches += 1
            self.sent += len(texts)
        out = self.engine.translate_batch(texts)
        if len(out) != len(texts):
            raise EngineFailed(f"{self.engine.name} returned {len(out)} translations for {len(texts)} texts")
        return [o if isinstance(o, str) else "" for o in out]

    def _by_pieces(self, src: str) -> str:
        parts = TOKEN.split(src)  # text, number, text, number, ..., text
        words = [p for p in parts[0::2] if has_words(p)]
        trans = dict(zip(words, self._call(words))) if words else {}
        out = []
        for i, p in enumerate(parts):
            if i % 2:
                out.append(f"[{p}]")
            elif p in trans:
                lead, trail = p[:len(p) - len(p.lstrip())], p[len(p.rstrip()):]
                out.append(lead + trans[p].strip() + trail)
            else:
                out.append(p)
        return "".join(out)

    def _repair(self, src: str, tr: str) -> str:
        n = len(TOKEN.findall(src))
        if not token_problems(tr, n):
            return tr
        self.fallbacks += 1
        if "XNUM" not in src:
            alt = self._call([TOKEN.sub(r"XNUM\1", src)])[0]
            alt_back = _ALT.sub(r"[\1]", alt)
            if "[" not in TOKEN.sub("", alt) and not token_problems(alt_back, n):
                return alt_back
        return self._by_pieces(src)

    def _work(self, batch: list[str]) -> list[tuple[str, str | None, str]]:
        try:
            outs = self._call(batch)
        except EngineUnavailable:
            raise
        except Exception as e:  # noqa: BLE001 - any engine error fails the segment, not the run
            if len(batch) > 1:
                return [r for t in batch for r in self._work([t])]
            return [(batch[0], None, f"{type(e).__name__}: {e}")]
        results = []
        for src, tr in zip(batch, outs):
            try:
                if not tr.strip():
                    results.append((src, None, "empty translation"))
                    continue
                results.append((src, self._repair(src, tr.strip()), ""))
            except EngineUnavailable:
                raise
            except Exception as e:  # noqa: BLE001
                results.append((src, None, f"{type(e).__name__}: {e}"))
        return results

    # ---- main thread: schedule, commit, count ----
    def run(self, texts: Iterable[str], on_done: Callable[[int], None] | None = None) -> dict[str, str]:
        """Translate `texts` (unique); returns {text: translation} for those that succeeded."""
        done: dict[str, str] = {}
        prepared = False

        def collect(fut) -> None:
            ok = []
            for src, tr, error in fut.result():
                if tr is None:
                    self.failed[src] = error
                    self._streak += 1
                else:
                    ok.append((src, tr))
                    done[src] = tr
                    self._streak = 0
            if self.memory is not None and ok:
                self.memory.put_many(ok)
            self.translated += len(ok)
            if on_done:
                on_done(len(ok) + (len(fut.result()) - len(ok)))
            if self.failed and (self.fail_fast or (self._streak >= GIVE_UP_AFTER and not self.translated)):
                src, error = next(reversed(self.failed.items()))
                raise EngineFailed(f"{self.engine.name} failed on {src[:60]!r}: {error}")

        with ThreadPoolExecutor(self.workers, thread_name_prefix="translate") as ex:
            inflight: set = set()
            try:
                for batch in _chunks(texts, self.batch_size):
                    if not prepared:  # e.g. load a model in this thread, only when there is work
                        getattr(self.engine, "prepare", lambda: None)()
                        prepared = True
                    while len(inflight) >= 2 * self.workers:
                        finished, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                        for f in finished:
                            collect(f)
                    inflight.add(ex.submit(self._work, batch))
                while inflight:
                    finished, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                    for f in finished:
                        collect(f)
            except BaseException:
                for f in inflight:
                    f.cancel()
                raise
        return done
