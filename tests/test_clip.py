"""CLIP scoring with a tiny random CLIPModel built here from a config (no hub): shapes, scores equal to
transformers' own forward pass, the on-disk cache (a second run embeds no image), the threshold, the
English source text, and clip-search.

The model is random, so its scores mean nothing about the images: the tests check the plumbing
(which text, which image, which threshold, what is cached), not CLIP's judgement.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from corpus.cli import app  # noqa: E402
from corpus.clip_index import EmbeddingIndex  # noqa: E402
from corpus.clip_score import ClipFilter, ClipModel, ClipScorer, clip_text  # noqa: E402
from corpus.errors import UsageError  # noqa: E402
from corpus.images_run import check_images  # noqa: E402
from corpus.io import read_records  # noqa: E402
from corpus.record import Record  # noqa: E402
from corpus.rejects import Rejects  # noqa: E402

from conftest import rec, shared_path, write_json  # noqa: E402

runner = CliRunner()
REAL = ("images", "llava_pretrain")
PROJ = 16
_CAPTIONS = [
    "a photo of a dog on the beach", "mother and son playing in the snow in winter park",
    "the bunk room", "a red car parked on a city street at night", "two cats sleeping on a sofa",
    "uma foto de um cachorro na praia", "mãe e filho brincando na neve", "o carro vermelho está estacionado",
    "Provide a brief description of the given image. What is this? Share a concise interpretation.",
]


def build_tiny_clip(path: Path, seed: int = 0) -> Path:
    """A CLIPModel (~60k parameters, 32 px images) with a real CLIPTokenizer whose BPE is trained here."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor, CLIPTokenizer
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    bpe = Tokenizer(models.BPE(end_of_word_suffix="</w>", unk_token="<|endoftext|>"))
    bpe.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    bpe.pre_tokenizer = pre_tokenizers.Sequence([  # CLIP's own split, then bytes
        pre_tokenizers.Split(Regex(r"'s|'t|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False)])
    bpe.train_from_iterator(_CAPTIONS * 3, trainers.BpeTrainer(
        vocab_size=400, special_tokens=["<|startoftext|>", "<|endoftext|>"], end_of_word_suffix="</w>",
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    model_json = json.loads(bpe.to_str())["model"]
    tok = CLIPTokenizer(vocab=model_json["vocab"], merges=[tuple(m) for m in model_json["merges"]])
    torch.manual_seed(seed)
    cfg = CLIPConfig(
        text_config=dict(vocab_size=len(model_json["vocab"]), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=2, max_position_embeddings=32,
                         bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id),
        vision_config=dict(image_size=32, patch_size=8, hidden_size=32, intermediate_size=64,
                           num_hidden_layers=2, num_attention_heads=2),
        projection_dim=PROJ)
    CLIPModel(cfg).eval().save_pretrained(path)
    image_processor = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=image_processor, tokenizer=tok).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory) -> Path:
    return build_tiny_clip(tmp_path_factory.mktemp("clip") / "tiny-clip")


@pytest.fixture(scope="module")
def clip_model(tiny_clip) -> ClipModel:
    return ClipModel(tiny_clip, device="cpu")


def test_shapes_and_unit_vectors(clip_model):
    from PIL import Image

    imgs = [Image.new("RGB", (50, 40), c) for c in ("red", "blue", "white")]
    px = clip_model.pixels(imgs)
    assert tuple(px.shape) == (3, 3, 32, 32)
    iv = clip_model.embed_pixels(px)
    tv = clip_model.embed_texts(["a dog", "uma praia com coqueiros " * 40])  # the long one is truncated, not an error
    assert iv.shape == (3, PROJ) and tv.shape == (2, PROJ) and iv.dtype == np.float32
    assert np.allclose(np.linalg.norm(iv, axis=1), 1, atol=1e-5) and np.allclose(np.linalg.norm(tv, axis=1), 1, atol=1e-5)
    assert clip_model.tokens(["x " * 200])["input_ids"].shape[1] == 32  # max_position_embeddings


def test_scores_equal_transformers_forward(tiny_clip, tmp_path):
    """meta.clip_score is CLIP's own logit / logit_scale, computed pair by pair by transformers."""
    from PIL import Image
    from transformers import CLIPModel, CLIPProcessor

    root = shared_path(*REAL)
    out = tmp_path / "o.jsonl"
    res = check_images(root / "records.json", root, output=out, clip_model=tiny_clip, clip_index=tmp_path / "idx",
                       batch_size=7)
    assert res["records_out"] == 60 and res["rejected"] == 0
    kept = list(read_records(out))
    model, proc = CLIPModel.from_pretrained(tiny_clip).eval(), CLIPProcessor.from_pretrained(tiny_clip)
    for r in kept[:12]:
        with Image.open(root / r.image) as im:
            inputs = proc(text=[clip_text(r)[0]], images=[im.convert("RGB")], return_tensors="pt", padding=True,
                           truncation=True, max_length=32)
        with torch.inference_mode():
            o = model(**inputs)
            expected = (o.logits_per_image[0, 0] / model.logit_scale.exp()).item()
        assert r.meta["clip_score"] == pytest.approx(expected, abs=2e-4)
        assert r.meta["clip_text_source"] == "conversations"
    assert len({r.meta["clip_score"] for r in kept}) > 50  # a real score per pair, not a constant


def test_second_run_embeds_no_image(tiny_clip, tmp_path, monkeypatch):
    root = shared_path(*REAL)
    embedded_rows: list[int] = []
    original = ClipModel.embed_pixels

    def counting(self, pixel_values):  # a spy: the real method still runs
        embedded_rows.append(int(pixel_values.shape[0]))
        return original(self, pixel_values)

    monkeypatch.setattr(ClipModel, "embed_pixels", counting)
    idx = tmp_path / "idx"
    runs = []
    for i in range(2):
        out = tmp_path / f"o{i}.json"
        res = check_images(root / "records.json", root, output=out, clip_model=tiny_clip, clip_index=idx)
        runs.append((res["stages"][-1], [r.meta["clip_score"] for r in read_records(out)]))
        if i == 0:
            assert sum(embedded_rows) == 60
    (first, scores1), (second, scores2) = runs
    assert sum(embedded_rows) == 60  # nothing more on the second run
    assert (first["images_embedded"], first["images_cached"]) == (60, 0)
    assert (second["images_embedded"], second["images_cached"]) == (0, 60)
    assert scores1 == scores2
    with EmbeddingIndex(idx, create=False) as index:
        assert len(index) == 60 and sum(len(v) for v in index.paths_by_hash().values()) == 60
        assert index.info()["model"] == str(tiny_clip.resolve())


def test_threshold_drops_below_with_reason(tiny_clip, tmp_path):
    root = shared_path(*REAL)
    idx = tmp_path / "idx"
    first = check_images(root / "records.json", root, output=tmp_path / "all.json", clip_model=tiny_clip, clip_index=idx)
    scores = {r.id: r.meta["clip_score"] for r in read_records(tmp_path / "all.json")}
    threshold = float(np.median(list(scores.values())))
    assert first["stages"][-1]["score_quantiles"]["p50"] == pytest.approx(threshold, abs=1e-4)
    out, rejects = tmp_path / "kept.json", tmp_path / "rej.jsonl"
    res = check_images(root / "records.json", root, output=out, rejects=rejects, clip_model=tiny_clip,
                       clip_index=idx, min_clip_score=threshold)
    kept = {r.id for r in read_records(out)}
    assert kept == {i for i, s in scores.items() if s >= threshold}
    rows = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert {r["id"] for r in rows} == set(scores) - kept
    assert all(r["reasons"] == ["low_image_text_similarity"] and r["stage"] == "clip" for r in rows)
    assert all(r["detail"].startswith(f"clip_score {r['record']['meta']['clip_score']:.4f}") for r in rows)
    assert res["records_out"] + res["rejected"] == 60 and res["rejected_by_reason"] == {"low_image_text_similarity": len(rows)}


def test_english_source_turn_is_scored(tiny_clip, tmp_path):
    root = shared_path(*REAL)
    img = sorted(root.glob("*/*.jpg"))[0].relative_to(root).as_posix()
    en = "a photo of a dog on the beach"
    translated = rec("pt", "<image>\nDescreva a imagem.", "uma foto de um cachorro na praia", image=img,
                     source_conversations=[{"from": "human", "value": "<image>\nDescribe the image."},
                                           {"from": "gpt", "value": en}])
    english = rec("en", "<image>\nDescribe the image.", en, image=img)
    portuguese = rec("pt_only", "<image>\nDescreva a imagem.", "uma foto de um cachorro na praia", image=img)
    recs = [Record.from_dict(d) for d in (translated, english, portuguese)]
    assert clip_text(recs[0]) == (en, "source_conversations")
    assert clip_text(recs[2]) == ("uma foto de um cachorro na praia", "conversations")
    scorer = ClipScorer(tiny_clip, root, tmp_path / "idx", device="cpu")
    out = list(ClipFilter(scorer)(recs))
    assert out[0].meta["clip_score"] == out[1].meta["clip_score"] != out[2].meta["clip_score"]
    assert out[0].meta["clip_text_source"] == "source_conversations"
    assert scorer.images_embedded == 1  # three records, one image


def test_shared_content_broken_files_and_text_only(tiny_clip, tmp_path):
    reals = sorted(shared_path(*REAL).glob("*/*.jpg"))[:2]
    root = tmp_path / "imgs"
    root.mkdir()
    shutil.copy(reals[0], root / "a.jpg")
    shutil.copy(reals[0], root / "a_copy.jpg")  # same bytes, other name: one embedding
    shutil.copy(reals[1], root / "b.jpg")
    (root / "broken.jpg").write_bytes(b"not an image")
    recs = [Record.from_dict(d) for d in (
        rec("a", image="a.jpg"), rec("text", "Oi?", "Olá.", image=None), rec("a2", image="a_copy.jpg"),
        rec("broken", image="broken.jpg"), rec("gone", image="gone.jpg"), rec("nul", image="n\u0000.jpg"),
        rec("esc", image="../x.jpg"),
        rec("b", image="b.jpg"))]
    scorer = ClipScorer(tiny_clip, root, tmp_path / "idx", device="cpu")
    sink = Rejects(None)
    stage = ClipFilter(scorer, sink, batch_size=2)
    kept = list(stage(recs))
    assert [r.id for r in kept] == ["a", "text", "a2", "b"]  # input order, text-only passes unscored
    assert "clip_score" not in kept[1].meta and kept[0].meta["clip_score"] == kept[2].meta["clip_score"]
    assert dict(stage.dropped) == {"image_unreadable": 1, "image_missing": 2, "image_path_escape": 1}
    assert scorer.images_embedded == 2 and sink.count == 4


def test_clip_search(tiny_clip, tmp_path):
    root = shared_path(*REAL)
    idx = tmp_path / "idx"
    check_images(root / "records.json", root, clip_model=tiny_clip, clip_index=idx)
    r = runner.invoke(app, ["clip-search", str(idx), "a dog on the beach", "-k", "5", "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    scores = [h["score"] for h in res["hits"]]
    assert len(scores) == 5 and scores == sorted(scores, reverse=True) and res["indexed"] == 60
    # every image, scored by hand: the hits are the true top 5
    model = ClipModel(tiny_clip, device="cpu")
    q = model.embed_texts(["a dog on the beach"])[0]
    from PIL import Image

    paths = sorted(root.glob("*/*.jpg"))
    with_scores = sorted(((float(model.embed_pixels(model.pixels([Image.open(p).convert("RGB")]))[0] @ q),
                           p.relative_to(root).as_posix()) for p in paths), reverse=True)
    assert [h["images"] for h in res["hits"]] == [[p] for _, p in with_scores[:5]]
    assert scores == pytest.approx([s for s, _ in with_scores[:5]], abs=2e-4)
    table = runner.invoke(app, ["clip-search", str(idx), "a dog on the beach", "-k", "2"])
    assert table.exit_code == 0 and with_scores[0][1] in table.output


def test_index_refuses_another_model(tiny_clip, tmp_path):
    root = shared_path(*REAL)
    idx = tmp_path / "idx"
    ClipScorer(tiny_clip, root, idx, device="cpu").index.close()
    other = build_tiny_clip(tmp_path / "other", seed=1)
    with pytest.raises(UsageError, match="another model"):
        ClipScorer(other, root, idx, device="cpu")
    r = runner.invoke(app, ["images", str(root / "records.json"), "--images-root", str(root),
                            "--clip-model", str(other), "--clip-index", str(idx)])
    assert r.exit_code == 2 and r.output.startswith("Error: ") and "another model" in r.output
    assert len(r.output.strip().splitlines()) == 1
    r = runner.invoke(app, ["clip-search", str(tmp_path / "none"), "x"])
    assert r.exit_code == 2 and "not a CLIP index" in r.output
    r = runner.invoke(app, ["images", str(root / "records.json"), "--images-root", str(root),
                            "--clip-model", str(tmp_path)])
    assert r.exit_code == 2 and "no config.json" in r.output


def test_cli_prints_clip_summary(tiny_clip, tmp_path):
    root = shared_path(*REAL)
    corpus = write_json(tmp_path / "c.json", json.loads((root / "records.json").read_text())[:10])
    r = runner.invoke(app, ["images", str(corpus), "--images-root", str(root), "-o", str(tmp_path / "o.json"),
                            "--clip-model", str(tiny_clip), "--clip-index", str(tmp_path / "idx"),
                            "--min-clip-score", "2"])  # cosine never reaches 2: everything dropped
    assert r.exit_code == 0, r.output
    assert "CLIP: 10 scored, 10 images embedded, 0 from cache" in r.output
    assert "10 in = 0 kept + 10 rejected" in r.output and "low_image_text_similarity" in r.output
