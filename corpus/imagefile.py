"""Resolve a record's `image` under an images root, safely, and check it opens.

A path that resolves outside the root (``../../etc/passwd``, an absolute path,
a symlink pointing out) is refused before anything is opened.
"""
from __future__ import annotations

import os
from pathlib import Path


class ImagePathEscape(ValueError):
    pass


def resolve_image(root: str | os.PathLike, image: str) -> Path:
    """The real path of `image` under `root`; raises ImagePathEscape if it leaves the root."""
    root_real = os.path.realpath(root)
    if os.path.isabs(image):
        raise ImagePathEscape(f"absolute path {image!r} is outside the images root")
    target = os.path.realpath(os.path.join(root_real, image))
    if os.path.commonpath([root_real, target]) != root_real:
        raise ImagePathEscape(f"{image!r} resolves outside the images root")
    return Path(target)


def image_problem(root: str | os.PathLike, image: str, *, decode: bool = False) -> tuple[str, str] | None:
    """None when the image is fine, else (rule, detail).

    Rules: image_path_escape, image_missing, image_unreadable. `decode=True`
    also decodes every pixel (catches truncated files that `verify` misses).
    """
    try:
        path = resolve_image(root, image)
    except ImagePathEscape as e:
        return "image_path_escape", str(e)
    if not path.is_file():
        return "image_missing", f"{image} not found under {root}"
    from PIL import Image  # lazy: validate without --images-root never needs PIL

    try:
        with Image.open(path) as im:
            im.verify()
        if decode:
            with Image.open(path) as im:
                im.load()
    except Exception as e:  # PIL raises many types for broken files
        return "image_unreadable", f"{image}: {type(e).__name__}: {e}"
    return None
