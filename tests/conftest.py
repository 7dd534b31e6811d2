"""Shared fixtures. Real data comes from ../shared/data and skips when absent."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True, scope="session")
def _private_caches(tmp_path_factory):
    """Keep the tests out of the user's ~/.cache (translation memory, CLIP index)."""
    import os

    cache = tmp_path_factory.mktemp("xdg-cache")
    old = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "CORPUS_TM")}
    os.environ["XDG_CACHE_HOME"] = str(cache)
    os.environ.pop("CORPUS_TM", None)
    yield cache
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def shared_path(*parts: str) -> Path:
    """Path under ../shared/data, or skip the test with a clear reason."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real data not available: {p} is absent (it lives in ../shared/data beside the repo)")
    return p


@pytest.fixture
def shared():
    return shared_path


@pytest.fixture
def tiny_json(tmp_path) -> Path:
    """The project's own 3-record example, copied to a temp dir."""
    p = tmp_path / "llava_tiny.json"
    p.write_text((EXAMPLES / "llava_tiny.json").read_text(encoding="utf-8"), encoding="utf-8")
    return p


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return path


def rec(rid="r1", *turns: str, image: str | None = "a.jpg", **extra) -> dict:
    """Build a LLaVA dict: rec("r1", "<image>\\nQ?", "A.") alternates human/gpt."""
    turns = turns or ("<image>\nWhat is this?", "A cat.")
    d = {"id": rid}
    if image is not None:
        d["image"] = image
    d["conversations"] = [{"from": "human" if i % 2 == 0 else "gpt", "value": v} for i, v in enumerate(turns)]
    d.update(extra)
    return d
