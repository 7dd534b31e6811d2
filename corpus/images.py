"""Image filter stages: the file exists, stays under the root, decodes, is what its name says, is big enough,
and is not a near-copy of an image already kept.

Reasons (stable codes):
    image_path_escape      the path leaves the images root (absolute, ``..``, symlink out)
    image_missing          no file there
    image_unreadable       PIL cannot verify it or decode every pixel (truncated, corrupt, not an image)
    image_format_mismatch  the bytes are another format than the extension says (a ``.jpg`` that is PNG or WebP)
    image_too_small        the shorter side is below `min_side` pixels
    image_near_duplicate   a *different* file within `max_distance` pHash bits of an image kept earlier

Records without an image pass untouched (text-only records are valid LLaVA).
Records that share one image path are image reuse, not duplicates: LLaVA-Instruct
asks several questions about one COCO picture. `ImageReuse` counts it.

Each image is decoded once per run however many records use it; the verdict is
remembered by resolved path. Kept records get ``meta["image_size"] = [w, h]``
and ``meta["image_phash"]`` (16 hex digits) for reports and DuckDB queries.
"""
from __future__ import annotations

import io
import os
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Iterator

from corpus.imagefile import ImagePathEscape, resolve_image
from corpus.phash import NearDuplicateIndex, phash, to_hex
from corpus.record import Record
from corpus.rejects import Rejects
from corpus.stage import Filter, Verdict

# What PIL calls the formats each extension promises. MPO is how PIL names
# multi-picture JPEGs straight from cameras: still a JPEG to every decoder.
EXTENSION_FORMATS: dict[str, frozenset[str]] = {
    ".jpg": frozenset({"JPEG", "MPO"}), ".jpeg": frozenset({"JPEG", "MPO"}), ".jpe": frozenset({"JPEG", "MPO"}),
    ".jfif": frozenset({"JPEG", "MPO"}), ".png": frozenset({"PNG"}), ".webp": frozenset({"WEBP"}),
    ".gif": frozenset({"GIF"}), ".bmp": frozenset({"BMP"}), ".tif": frozenset({"TIFF"}),
    ".tiff": frozenset({"TIFF"}),
}


def decode_image(path: Path) -> tuple[str, tuple[int, int], int]:
    """(format, (width, height), phash) of a file that verifies and fully decodes; raises otherwise.

    The bytes are read once. `verify()` only checks something for formats that
    define it (PNG chunk CRCs); it consumes its image object, so those are
    reopened from the same buffer for the full decode.
    """
    from PIL import Image, ImageFile

    data = path.read_bytes()
    im = Image.open(io.BytesIO(data))
    try:
        if type(im).verify is not ImageFile.ImageFile.verify:
            im.verify()
            im.close()
            im = Image.open(io.BytesIO(data))
        im.load()  # every pixel: catches truncated JPEGs that verify() passes
        return im.format or "?", im.size, phash(im)
    finally:
        im.close()


class ImageCheck(Filter):
    """Drop records whose image is escaping, missing, unreadable, mis-named or too small."""

    name = "image_check"

    def __init__(self, images_root: str | os.PathLike, rejects: Rejects | None = None, *, min_side: int = 32):
        super().__init__(rejects)
        self.root = Path(images_root)
        self.min_side = min_side
        self._seen: dict[str, tuple[str, str] | tuple[int, int, str]] = {}  # image path -> verdict or facts
        self.images_decoded = 0

    def check(self, record: Record) -> Verdict:
        if not record.has_image:
            return None
        facts = self._seen.get(record.image)
        if facts is None:
            facts = self._seen[record.image] = self._inspect(record.image)
        if isinstance(facts[0], str):
            return facts  # (reason, detail)
        w, h, ph = facts
        record.meta["image_size"] = [w, h]
        record.meta["image_phash"] = ph
        return None

    def _inspect(self, image: str) -> tuple[str, str] | tuple[int, int, str]:
        try:
            path = resolve_image(self.root, image)
        except ImagePathEscape as e:
            return "image_path_escape", str(e)
        except ValueError as e:  # a NUL byte in the path: no file can have that name
            return "image_missing", f"{image!r}: {e}"
        if not path.is_file():
            return "image_missing", f"{image} not found under {self.root}"
        try:
            self.images_decoded += 1
            fmt, (w, h), ph = decode_image(path)
        except Exception as e:  # PIL raises many types for broken files (OSError, SyntaxError, ValueError...)
            return "image_unreadable", f"{image}: {type(e).__name__}: {e}"
        expected = EXTENSION_FORMATS.get(Path(image).suffix.lower())
        if expected is not None and fmt not in expected:
            return "image_format_mismatch", f"{image}: named {Path(image).suffix} but the file is {fmt}"
        if min(w, h) < self.min_side:
            return "image_too_small", f"{image}: {w}x{h}, shorter side below {self.min_side} px"
        return w, h, to_hex(ph)

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "images_decoded": self.images_decoded, "min_side": self.min_side}


class NearDuplicate(Filter):
    """Drop a record whose image is a different file within `max_distance` pHash bits of one kept earlier.

    Needs ``meta["image_phash"]`` from `ImageCheck`, which runs first. The same
    path used again is reuse, never a duplicate of itself.
    """

    name = "image_near_duplicate"

    def __init__(self, rejects: Rejects | None = None, *, max_distance: int = 4):
        super().__init__(rejects)
        self.index: NearDuplicateIndex[str] = NearDuplicateIndex(max_distance)
        self._decided: dict[str, tuple[str, str] | None] = {}  # image path -> verdict
        self._first_record: dict[str, Any] = {}

    def check(self, record: Record) -> Verdict:
        ph = record.meta.get("image_phash")
        if not record.has_image or ph is None:
            return None
        if record.image in self._decided:
            return self._decided[record.image]
        h = int(ph, 16)
        hit = self.index.nearest(h)
        if hit is None:
            self.index.add(h, record.image)
            self._first_record[record.image] = record.id
            verdict = None
        else:
            other, dist = hit
            verdict = ("image_near_duplicate",
                       f"{record.image} is {dist} pHash bits from {other} (record {self._first_record[other]!r})")
        self._decided[record.image] = verdict
        return verdict

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "max_distance": self.index.max_distance}


class ImageReuse:
    """A pass-through stage counting how many records use each image path."""

    def __init__(self) -> None:
        self.by_image: Counter = Counter()
        self.text_only = 0

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        for rec in records:
            if rec.has_image:
                self.by_image[rec.image] += 1
            else:
                self.text_only += 1
            yield rec

    def summary(self, top: int = 10) -> dict[str, Any]:
        """Images per number of records using them, plus the most reused images."""
        histogram = Counter(min(n, 5) for n in self.by_image.values())  # 5 stands for "5 or more"
        return {
            "records_with_image": sum(self.by_image.values()),
            "text_only_records": self.text_only,
            "unique_images": len(self.by_image),
            "reused_images": sum(1 for n in self.by_image.values() if n > 1),
            "images_by_use": {("5+" if k == 5 else str(k)): v for k, v in sorted(histogram.items())},
            "most_used": [[img, n] for img, n in self.by_image.most_common(top) if n > 1],
        }
