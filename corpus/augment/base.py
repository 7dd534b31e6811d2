"""What every augmentation method shares: ids, provenance, seeding, validation.

A method (`Augmenter` subclass) looks at one source record and proposes new
records; it never changes the source. Each proposal gets:

- a stable id ``<source id>#aug-<method>-<k>`` (k counts the proposals of that
  method for that source, from 0),
- provenance in ``meta["augment"]``: method, parameters, source id, k, seed,
  plus what the method did (``detail``),
- a check against the validator (`schema_findings` + `record_findings`).

Randomness comes from ``rng_for(seed, method, source id)``: a private
``random.Random`` per record, so the output does not depend on record order,
on batching, or on which other methods run.

Example:
    aug = ImagePosition()
    for new in aug.augment_batch([rec])[0]:
        print(new.id, new.meta["augment"]["detail"])
"""
from __future__ import annotations

import hashlib
import random
from collections import Counter
from typing import Any, Iterable, Iterator

from corpus.record import IMAGE_TOKEN, Record, Turn
from corpus.validate import record_findings, schema_findings

# meta keys that describe the source's turns one by one: wrong once turns change.
TURN_ALIGNED_META = ("turn_lang", "turn_variant", "reasons")
SOURCE_TURNS = "source_conversations"  # extra key written by `translate --keep-source`


def rng_for(seed: int, method: str, source_id: Any) -> random.Random:
    """A private generator for one (seed, method, record): order-independent determinism."""
    h = hashlib.blake2b(f"{seed}\x1f{method}\x1f{source_id}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(h, "big"))


def priority(seed: int, rid: str) -> int:
    """Deterministic pseudo-random rank of a proposal, used to pick which survive a cap."""
    return int.from_bytes(hashlib.blake2b(f"{seed}\x1f{rid}".encode(), digest_size=8).digest(), "big")


def content_key(rec: Record) -> bytes:
    """What makes two records the same training example: image + roles + texts (not id, not meta)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(rec.image).encode())  # repr: None and "None" differ
    for t in rec.turns:  # length-prefixed, so no separator inside a text can forge a match
        v = t.value.encode()
        h.update(b"\x1e%s\x1f%d\x1f" % (t.role.encode(), len(v)) + v)
    return h.digest()


def findings(rec: Record) -> list[tuple[str, str]]:
    """The validator's verdict on one record: [] when it is valid."""
    found = schema_findings(rec.to_dict())
    return found or record_findings(rec)


def split_image(value: str) -> tuple[str, str]:
    """('start'|'end'|'', text without <image>) for a turn with <image> at one edge (LLaVA puts it there)."""
    v = value.strip()
    if v.startswith(IMAGE_TOKEN):
        return "start", v[len(IMAGE_TOKEN):].strip()
    if v.endswith(IMAGE_TOKEN):
        return "end", v[: -len(IMAGE_TOKEN)].strip()
    return "", value


def join_image(side: str, text: str) -> str:
    """Put <image> back on `side`, LLaVA style: '<image>\\ntext' or 'text\\n<image>'."""
    if side == "start":
        return f"{IMAGE_TOKEN}\n{text}"
    if side == "end":
        return f"{text}\n{IMAGE_TOKEN}"
    return text


class Augmenter:
    """Base class of a method. Subclasses set `name` and implement `propose` (or `propose_batch`).

    `propose(rec, rng)` returns ``(proposals, skip_reason)``: a list of
    ``(turns, detail)`` pairs (new turns for the record, and a dict saying what
    was done), or ``([], "reason_code")`` when the method cannot use the record.
    """

    name = "augmenter"
    default_per_record: int | None = 1  # None: as many as the method finds

    def __init__(self, seed: int = 0, per_record: int | None = None, **params: Any):
        self.seed = seed
        self.per_record = per_record if per_record is not None else self.default_per_record
        if self.per_record is not None and self.per_record < 1:
            raise ValueError("per_record must be at least 1")
        self.params = params
        self.produced = 0  # valid new records the method made
        self.kept = 0  # of those, how many reached the output (after cross-method dedupe and caps)
        self.skipped: Counter = Counter()  # source records the method could not use, by reason
        self.dropped: Counter = Counter()  # proposals thrown away, by reason

    # -- to implement ------------------------------------------------------------
    def propose(self, rec: Record, rng: random.Random) -> tuple[list[tuple[list[Turn], dict]], str | None]:
        raise NotImplementedError  # pragma: no cover - abstract

    def propose_batch(self, recs: list[Record]) -> list[tuple[list[tuple[list[Turn], dict]], str | None]]:
        """Methods that call an engine override this to batch their work."""
        return [self.propose(r, rng_for(self.seed, self.name, r.key)) for r in recs]

    def adapt_extra(self, src: Record, extra: dict[str, Any], detail: dict) -> None:
        """Keep `extra` true for the new turns. Default: drop per-turn source texts, now misaligned."""
        extra.pop(SOURCE_TURNS, None)

    # -- shared ----------------------------------------------------------------
    def provenance_params(self) -> dict[str, Any]:
        return {**self.params, "per_record": self.per_record}

    def build(self, src: Record, k: int, turns: list[Turn], detail: dict) -> Record:
        meta = {key: v for key, v in src.meta.items() if key not in TURN_ALIGNED_META and key != "augment"}
        meta["augment"] = {"method": self.name, "source_id": src.id, "k": k, "seed": self.seed,
                           "params": self.provenance_params(), "detail": detail}
        if "augment" in src.meta:  # augmenting an augmented record: keep the chain
            meta["augment"]["parent"] = src.meta["augment"]
        extra = dict(src.extra)
        self.adapt_extra(src, extra, detail)
        return Record(f"{src.key}#aug-{self.name}-{k}", turns, src.image, extra, meta, src.keys)

    def augment_batch(self, recs: list[Record]) -> list[list[Record]]:
        """New, valid records for each source record (same order), never equal to their source."""
        out: list[list[Record]] = []
        for src, (proposals, skip) in zip(recs, self.propose_batch(recs)):
            if skip:
                self.skipped[skip] += 1
            made: list[Record] = []
            seen = {content_key(src)}
            for turns, detail in proposals:
                if self.per_record is not None and len(made) >= self.per_record:
                    self.dropped["over_per_record"] += 1
                    continue
                new = self.build(src, len(made), turns, detail)
                key = content_key(new)
                if key in seen:
                    self.dropped["duplicate"] += 1
                    continue
                bad = findings(new)
                if bad:
                    self.dropped[f"invalid_{bad[0][0]}"] += 1
                    continue
                seen.add(key)
                made.append(new)
            self.produced += len(made)
            out.append(made)
        return out

    def __call__(self, records: Iterable[Record], batch: int = 64) -> Iterator[Record]:
        """As a pipeline stage: each record, then what this method made of it."""
        buf: list[Record] = []
        for rec in records:
            buf.append(rec)
            if len(buf) >= batch:
                yield from self._flush(buf)
                buf = []
        if buf:
            yield from self._flush(buf)

    def _flush(self, buf: list[Record]) -> Iterator[Record]:
        for src, made in zip(buf, self.augment_batch(buf)):
            self.kept += len(made)
            yield src
            yield from made

    def stats(self) -> dict[str, Any]:
        return {"method": self.name, "params": self.provenance_params(), "produced": self.produced,
                "kept": self.kept, "skipped": dict(self.skipped), "dropped": dict(self.dropped)}
