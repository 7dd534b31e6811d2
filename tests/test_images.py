"""Image checks: the 60 real LLaVA-Pretrain images pass; broken, truncated, mis-named, tiny, escaping,
missing and near-duplicate images written here are each dropped with their reason. Nothing is lost."""
from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from typer.testing import CliRunner

from corpus.cli import app
from corpus.images import ImageCheck, NearDuplicate, decode_image
from corpus.images_run import check_images
from corpus.io import read_records
from corpus.phash import NearDuplicateIndex, hamming, phash

from conftest import rec, shared_path, write_json

runner = CliRunner()
REAL = ("images", "llava_pretrain")


def real_images() -> list[Path]:
    return sorted(shared_path(*REAL).glob("*/*.jpg"))


# ---------------------------------------------------------------- real data: all pass
def test_60_real_images_all_pass(tmp_path):
    root = shared_path(*REAL)
    out, rejects = tmp_path / "out.jsonl", tmp_path / "rej.jsonl"
    res = check_images(root / "records.json", root, output=out, rejects=rejects)
    assert (res["records_in"], res["records_out"], res["rejected"]) == (60, 60, 0)
    assert rejects.read_text() == ""
    kept = list(read_records(out))
    assert [r.id for r in kept] == [r["id"] for r in json.loads((root / "records.json").read_text())]
    for r in kept:
        w, h = r.meta["image_size"]
        assert min(w, h) >= 32 and len(r.meta["image_phash"]) == 16
        with Image.open(root / r.image) as im:
            assert im.size == (w, h)
    stats = json.loads(Path(f"{out}.stats.json").read_text())
    assert stats["command"] == "images" and stats["records_out"] + stats["rejected"] == stats["records_in"] == 60
    assert stats["image_reuse"]["unique_images"] == 60 and stats["image_reuse"]["reused_images"] == 0


def test_real_images_are_far_apart_in_phash():
    """Different real photos differ by many bits, so the default distance (4) has headroom."""
    hashes = []
    for p in real_images():
        with Image.open(p) as im:
            hashes.append(phash(im))
    dists = [hamming(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1:]]
    assert min(dists) > 8
    assert 24 <= sorted(dists)[len(dists) // 2] <= 40  # unrelated images: about half the 64 bits


def test_phash_survives_resize_and_recompression():
    for p in real_images()[:10]:
        with Image.open(p) as im:
            im.load()
            small = im.resize((im.width * 3 // 4, im.height * 3 // 4))
            buf = io.BytesIO()
            small.save(buf, "JPEG", quality=60)
            with Image.open(io.BytesIO(buf.getvalue())) as again:
                assert hamming(phash(im), phash(again)) <= 4


# ---------------------------------------------------------------- written bad cases
@pytest.fixture
def bad_corpus(tmp_path):
    """An images root with one file per failure, plus the corpus that points at them."""
    reals = real_images()[:4]
    root = tmp_path / "imgs"
    (root / "ok").mkdir(parents=True)
    for p in reals[:3]:
        shutil.copy(p, root / "ok" / p.name)
    a, b, c = (f"ok/{p.name}" for p in reals[:3])
    data = reals[3].read_bytes()
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 20)
    (root / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (root / "empty.jpg").write_bytes(b"")
    with Image.open(reals[3]) as im:
        im.save(root / "really_png.jpg", "PNG")
        im.save(root / "really_webp.jpg", "WEBP")
        im.save(root / "really_jpeg.png", "JPEG")
        im.resize((20, 300)).save(root / "thin.jpg", "JPEG")
        im.resize((8, 8)).save(root / "tiny.png", "PNG")
        im.save(root / "upper.JPG", "JPEG")  # extension case does not matter
    with Image.open(reals[0]) as im:  # a resized, recompressed copy of `a` under another name
        im.resize((im.width // 2, im.height // 2)).save(root / "copy_of_a.jpg", "JPEG", quality=70)
    shutil.copy(reals[1], root / "same_bytes_as_b.jpg")
    (tmp_path / "outside.jpg").write_bytes(reals[0].read_bytes())
    os.symlink(tmp_path / "outside.jpg", root / "link_out.jpg")
    records = [
        rec("a", image=a), rec("b", image=b), rec("c", image=c),
        rec("a_again", image=a),  # reuse of one path: kept
        rec("text_only", "Olá?", "Oi.", image=None),
        rec("broken", image="broken.jpg"), rec("truncated", image="truncated.jpg"), rec("empty", image="empty.jpg"),
        rec("png_as_jpg", image="really_png.jpg"), rec("webp_as_jpg", image="really_webp.jpg"),
        rec("jpeg_as_png", image="really_jpeg.png"),
        rec("thin", image="thin.jpg"), rec("tiny", image="tiny.png"), rec("upper", image="upper.JPG"),
        rec("near_dup", image="copy_of_a.jpg"), rec("exact_dup", image="same_bytes_as_b.jpg"),
        rec("missing", image="nowhere/x.jpg"), rec("nul_byte", image="a\u0000.jpg"),
        rec("dotdot", image="../outside.jpg"), rec("absolute", image=str(tmp_path / "outside.jpg")),
        rec("symlink_out", image="link_out.jpg"),
        {"id": "no_conversations", "image": a},  # bad input item: rejected by the reader
    ]
    return write_json(tmp_path / "corpus.json", records), root


EXPECTED = {
    "broken": "image_unreadable", "truncated": "image_unreadable", "empty": "image_unreadable",
    "png_as_jpg": "image_format_mismatch", "webp_as_jpg": "image_format_mismatch",
    "jpeg_as_png": "image_format_mismatch", "thin": "image_too_small", "tiny": "image_too_small",
    "near_dup": "image_near_duplicate", "exact_dup": "image_near_duplicate",
    "missing": "image_missing", "nul_byte": "image_missing",
    "dotdot": "image_path_escape", "absolute": "image_path_escape", "symlink_out": "image_path_escape",
    "no_conversations": "schema",
}


def test_each_bad_image_rejected_with_its_reason(bad_corpus, tmp_path):
    corpus, root = bad_corpus
    out, rejects = tmp_path / "out.json", tmp_path / "rej.jsonl"
    res = check_images(corpus, root, output=out, rejects=rejects)
    kept = [r.id for r in read_records(out)]
    assert kept == ["a", "b", "c", "a_again", "text_only", "upper"]
    rows = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert {r["id"]: r["reasons"][0] for r in rows} == EXPECTED
    assert res["records_in"] == 22 == res["records_out"] + res["rejected"]
    assert sum(res["rejected_by_reason"].values()) == res["rejected"] == len(rows)
    by_id = {r["id"]: r for r in rows}
    assert "is PNG" in by_id["png_as_jpg"]["detail"] and "is WEBP" in by_id["webp_as_jpg"]["detail"]
    assert "20x" in by_id["thin"]["detail"]
    assert by_id["near_dup"]["detail"].endswith("(record 'a')") and by_id["near_dup"]["stage"] == "image_near_duplicate"
    assert "0 pHash bits" in by_id["exact_dup"]["detail"]
    assert by_id["truncated"]["record"]["image"] == "truncated.jpg"  # the whole record is kept in the rejects
    # an item that parsed but broke the schema is kept as it was (stop 14; it used to be null)
    assert by_id["no_conversations"]["record"]["id"] == "no_conversations"
    assert "conversations" not in by_id["no_conversations"]["record"] and "item 21" in by_id["no_conversations"]["position"]
    reuse = res["image_reuse"]
    assert reuse["most_used"] == [[next(r["image"] for r in json.loads(corpus.read_text()) if r["id"] == "a"), 2]]
    assert reuse["text_only_records"] == 1
    check = res["stages"][0]
    assert check["images_decoded"] == 14  # each existing file under the root decoded once; reuse is free


def test_truncated_jpeg_passes_verify_but_not_decode(bad_corpus):
    _, root = bad_corpus
    with Image.open(root / "truncated.jpg") as im:
        im.verify()  # what a verify-only check would accept
    with pytest.raises(OSError):
        decode_image(root / "truncated.jpg")


def test_min_side_and_distance_options(bad_corpus):
    corpus, root = bad_corpus
    res = check_images(corpus, root, min_side=10, phash_distance=-1)
    assert "image_near_duplicate" not in res["rejected_by_reason"]
    assert res["rejected_by_reason"]["image_too_small"] == 1  # 8x8 still too small, 20x300 now fine


def test_filters_compose_as_stages(bad_corpus):
    corpus, root = bad_corpus
    check, dedup = ImageCheck(root), NearDuplicate(max_distance=4)
    recs = list(read_records(corpus))
    kept = list(dedup(check(recs)))
    assert check.kept + sum(check.dropped.values()) == len(recs)
    assert dedup.kept == len(kept) and dedup.dropped["image_near_duplicate"] == 2
    assert all("reasons" in r.meta for r in recs if r not in kept)


# ---------------------------------------------------------------- near-duplicate index
@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=40), st.integers(0, 8), st.randoms())
def test_index_finds_what_brute_force_finds(hashes, d, rnd):
    idx: NearDuplicateIndex[int] = NearDuplicateIndex(d)
    # near copies of earlier hashes, so hits within d actually happen
    probes = hashes + [h ^ (1 << rnd.randrange(64)) ^ (1 << rnd.randrange(64)) for h in hashes]
    for i, h in enumerate(probes):
        brute = min((hamming(h, o) for o in probes[:i]), default=None)
        hit = idx.nearest(h)
        if brute is not None and brute <= d:
            assert hit is not None and hit[1] == brute and hamming(h, probes[hit[0]]) == brute
        else:
            assert hit is None
        idx.add(h, i)


# ---------------------------------------------------------------- CLI
def test_cli_report_only_exits_1_with_tables(bad_corpus, tmp_path):
    corpus, root = bad_corpus
    r = runner.invoke(app, ["images", str(corpus), "--images-root", str(root), "--stats", str(tmp_path / "s.json")])
    assert r.exit_code == 1, r.output
    assert "image_format_mismatch" in r.output and "image reuse: 19 images for 20 records (1 text-only)" in r.output
    assert "22 in = 6 kept + 16 rejected" in r.output
    assert json.loads((tmp_path / "s.json").read_text())["rejected"] == 16


def test_cli_writes_output_exit_0(bad_corpus, tmp_path):
    corpus, root = bad_corpus
    out = tmp_path / "o.parquet"
    r = runner.invoke(app, ["images", str(corpus), "--images-root", str(root), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert [x.id for x in read_records(out)] == ["a", "b", "c", "a_again", "text_only", "upper"]
    assert json.loads(Path(f"{out}.stats.json").read_text())["records_out"] == 6


def test_cli_usage_errors_are_one_line(tmp_path, tiny_json):
    r = runner.invoke(app, ["images", str(tiny_json), "--images-root", str(tmp_path / "nope")])
    assert r.exit_code == 2 and r.output.strip() == f"Error: --images-root {tmp_path / 'nope'}: not a folder"
    r = runner.invoke(app, ["images", str(tiny_json), "--images-root", str(tmp_path), "--min-clip-score", "0.2"])
    assert r.exit_code == 2 and r.output.strip() == "Error: --min-clip-score needs --clip-model"


def test_failed_run_leaves_no_output(bad_corpus, tmp_path):
    corpus, root = bad_corpus
    corpus.write_text(corpus.read_text()[:-3])  # cut the JSON list: unusable input midway
    out, rejects = tmp_path / "o.json", tmp_path / "r.jsonl"
    r = runner.invoke(app, ["images", str(corpus), "--images-root", str(root), "-o", str(out), "--rejects", str(rejects)])
    assert r.exit_code == 2 and "malformed_json" in r.output
    assert not out.exists() and not rejects.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
