"""Benchmark `corpus images` on the 60 real LLaVA-Pretrain images: side-by-side ratios, same run.

1. Image checks (resolve, verify, full decode, format, size, pHash, near-duplicate lookup) vs a bare
   PIL ``open + load`` loop over the same files (images/s, ratio), and vs ``open + load + pHash``
   (the ratio left is the cost of the checks themselves).
2. CLIP scoring with the tiny random CLIPModel of tests/test_clip.py vs a bare batched forward pass
   (``get_image_features`` + ``get_text_features`` + cosine) over the same pre-made tensors:
   - core: our embedding calls on the same tensors / bare                       (target >= 0.8)
   - warm: the whole ClipFilter, image embeddings from the cache / bare
   - cold: the whole ClipFilter, empty cache (read, hash, decode, preprocess, tokenize, store)
     / bare preprocess + forward; and / bare forward alone (how much preprocessing weighs
     when the model is tiny; with ViT-L the forward dominates instead).

Run: python bench/bench_images.py [--reps 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "images" / "llava_pretrain"
sys.path.insert(0, str(ROOT / "tests"))


def side_by_side(fns: dict, reps: int) -> dict[str, float]:
    """Median seconds per function, the functions interleaved in every repetition (one warm-up
    round first), so load from other jobs on the machine hits them alike."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def bench_checks(records, reps: int) -> None:
    from PIL import Image

    from corpus.images import ImageCheck, NearDuplicate
    from corpus.phash import phash

    paths = [DATA / r.image for r in records]

    def bare():
        for p in paths:
            with Image.open(p) as im:
                im.load()

    def bare_phash():
        for p in paths:
            with Image.open(p) as im:
                im.load()
                phash(im)

    def ours():
        kept = list(NearDuplicate()(ImageCheck(DATA)(r.copy() for r in records)))
        assert len(kept) == len(records)

    t = side_by_side({"bare": bare, "bare_phash": bare_phash, "ours": ours}, reps)
    n = len(paths)
    print(f"image checks   : {n / t['ours']:8.1f} img/s   bare PIL open+load: {n / t['bare']:8.1f} img/s"
          f"   ratio {t['bare'] / t['ours']:.2f}")
    print(f"                 bare open+load+pHash: {n / t['bare_phash']:8.1f} img/s"
          f"   ratio {t['bare_phash'] / t['ours']:.2f}  (the checks' own overhead)")


def bench_clip(records, reps: int, batch: int) -> None:
    import numpy as np
    import torch
    from PIL import Image
    from test_clip import build_tiny_clip

    from corpus.clip_score import ClipFilter, ClipModel, ClipScorer, clip_text

    torch.set_num_threads(1)  # 2 shared cores: intra-op threads fighting other jobs make timings erratic
    tmp = Path(tempfile.mkdtemp(prefix="bench-clip-"))
    model_dir = build_tiny_clip(tmp / "tiny-clip")
    cm = ClipModel(model_dir, device="cpu")
    model = cm.model
    n = len(records)
    chunks = [records[i:i + batch] for i in range(0, n, batch)]
    texts = [[clip_text(r)[0] for r in c] for c in chunks]

    def preprocess():
        out = []
        for c, t in zip(chunks, texts):
            imgs = [Image.open(DATA / r.image).convert("RGB") for r in c]
            out.append((cm.image_processor(images=imgs, return_tensors="pt")["pixel_values"],
                        dict(cm.tokenizer(t, padding=True, truncation=True, max_length=cm.max_length,
                                          return_tensors="pt"))))
        return out

    tensors = preprocess()

    def bare():
        with torch.inference_mode():
            for px, tok in tensors:
                i = model.get_image_features(pixel_values=px).pooler_output
                t = model.get_text_features(**tok).pooler_output
                (torch.nn.functional.normalize(i, dim=-1) * torch.nn.functional.normalize(t, dim=-1)).sum(-1).tolist()

    def bare_with_preprocess():
        nonlocal tensors
        tensors = preprocess()
        bare()

    def core():
        for px, tok in tensors:
            np.einsum("ij,ij->i", cm.embed_pixels(px), cm.embed_tokens(tok))

    def whole(scorer):
        kept = list(ClipFilter(scorer, batch_size=batch)(r.copy() for r in records))
        assert len(kept) == n and all("clip_score" in r.meta for r in kept)

    # Scorers are opened outside the timed region, as a real run opens one for many records:
    # the timings are per-record work, not the one-off SQLite open. All share the loaded model.
    warm = ClipScorer(cm, DATA, tmp / "warm")
    whole(warm)
    colds = iter([ClipScorer(cm, DATA, tmp / f"cold{i}") for i in range(reps + 1)])  # fresh, empty caches
    t = side_by_side({"bare": bare, "core": core, "warm": lambda: whole(warm),
                      "cold": lambda: whole(next(colds)), "bare_pre": bare_with_preprocess}, reps)
    t_bare, t_core, t_warm, t_cold, t_bare_pre = (t[k] for k in ("bare", "core", "warm", "cold", "bare_pre"))
    assert warm.images_embedded == n, "the warm cache embedded images after its first run"
    print(f"CLIP bare fwd  : {n / t_bare:8.1f} rec/s   (tiny model, batch {batch}, pre-made tensors)")
    print(f"CLIP core      : {n / t_core:8.1f} rec/s   ratio vs bare forward {t_bare / t_core:.2f}  (target >= 0.8)")
    print(f"CLIP warm cache: {n / t_warm:8.1f} rec/s   ratio vs bare forward {t_bare / t_warm:.2f}")
    print(f"CLIP cold      : {n / t_cold:8.1f} rec/s   ratio vs bare preprocess+forward {t_bare_pre / t_cold:.2f};"
          f" vs bare forward alone {t_bare / t_cold:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--skip-clip", action="store_true")
    args = ap.parse_args()
    if not (DATA / "records.json").is_file():
        sys.exit(f"real data not available: {DATA} is absent (it lives in ../shared/data beside the repo)")
    from corpus.io import read_records

    records = list(read_records(DATA / "records.json"))
    print(f"{len(records)} real LLaVA-Pretrain records and images from {DATA}")
    bench_checks(records, args.reps)
    if not args.skip_clip:
        bench_clip(records, args.reps, args.batch)


if __name__ == "__main__":
    main()
