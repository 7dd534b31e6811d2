"""`corpus stats`: counts over a corpus, streamed.

Records, turns by role, characters by role, images, placeholders, text-only
records, and the bad items the reader could not use.
"""
from __future__ import annotations

import os
from collections import Counter
from typing import Any

from corpus.io import RecordReader
from corpus.record import IMAGE_TOKEN


def corpus_stats(path: str | os.PathLike) -> dict[str, Any]:
    reader = RecordReader(path)
    turns: Counter = Counter()
    chars: Counter = Counter()
    images: set[str] = set()
    n = with_image = placeholders = 0
    for rec in reader:
        n += 1
        if rec.has_image:
            with_image += 1
            images.add(rec.image)
        for t in rec.turns:
            turns[t.role] += 1
            chars[t.role] += len(t.value)
            placeholders += t.value.count(IMAGE_TOKEN)
    return {
        "file": str(path),
        "records": n,
        "bad_items": len(reader.problems),
        "turns": sum(turns.values()),
        "turns_by_role": dict(turns),
        "chars": sum(chars.values()),
        "chars_by_role": dict(chars),
        "records_with_image": with_image,
        "text_only_records": n - with_image,
        "unique_images": len(images),
        "placeholders": placeholders,
        "problems": [p.to_dict() for p in reader.problems[:20]],
    }
