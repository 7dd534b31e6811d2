"""CLIP image–text alignment: score each record's image against its text, drop the unrelated ones.

Any local `transformers` model with ``get_image_features``/``get_text_features``
works (CLIP such as openai/clip-vit-large-patch14 or zer0int/CLIP-GmP-ViT-L-14,
SigLIP). The score is the cosine similarity of the two embeddings (−1…1; real
CLIP ViT-L/14 gives roughly 0.25–0.35 for a matching caption, below 0.15 for an
unrelated one) and lands in ``meta["clip_score"]``.

Which text: the English source turn when translate kept it (extra
``"source_conversations"``), because an English CLIP scores Portuguese poorly;
otherwise the record's own (Portuguese) text, which wants a multilingual model.
The first answer (``gpt`` turn) describes the image best; ``<image>`` is removed.
``meta["clip_text_source"]`` says which one was used.

Image embeddings are cached by file content hash in an `EmbeddingIndex`, so a
second run over the same images embeds none, and `clip-search` can query them.
torch and transformers are imported only when a scorer is built.
"""
from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from corpus.clip_index import EmbeddingIndex, default_index_dir
from corpus.errors import MissingDependency, UsageError
from corpus.imagefile import ImagePathEscape, resolve_image
from corpus.record import GPT, IMAGE_TOKEN, Record
from corpus.rejects import Rejects
from corpus.stage import Filter

LOW_SIMILARITY = "low_image_text_similarity"


def file_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def model_fingerprint(model_dir: str | os.PathLike) -> str:
    """Config plus the size, head and tail of each weight file: cheap even for a 1.7 GB ViT-L."""
    d = Path(model_dir)
    h = hashlib.sha256((d / "config.json").read_bytes())
    for f in sorted(list(d.glob("*.safetensors")) + list(d.glob("*.bin"))):
        size = f.stat().st_size
        h.update(f"{f.name}:{size}".encode())
        with open(f, "rb") as fh:
            h.update(fh.read(1 << 20))
            fh.seek(max(0, size - (1 << 20)))
            h.update(fh.read())
    return h.hexdigest()


def clip_text(record: Record) -> tuple[str, str]:
    """(text to score, "source_conversations" | "conversations")."""
    src = record.extra.get("source_conversations")
    if isinstance(src, list) and src and all(isinstance(t, dict) and isinstance(t.get("value"), str) for t in src):
        turns, where = [(t.get("from"), t["value"]) for t in src], "source_conversations"
    else:
        turns, where = [(t.role, t.value) for t in record.turns], "conversations"
    answers = [v for role, v in turns if role == GPT]
    text = answers[0] if answers else " ".join(v for _, v in turns)
    return " ".join(text.replace(IMAGE_TOKEN, " ").split()), where


class ClipModel:
    """A local CLIP-like model and its processor, producing L2-normalised numpy embeddings."""

    def __init__(self, model_dir: str | os.PathLike, device: str | None = None):
        try:
            import torch
            import transformers
        except ImportError as e:
            raise MissingDependency(e.name or "transformers", "clip") from None
        self.torch = torch
        self.path = d = Path(model_dir)
        if not (d / "config.json").is_file():
            raise UsageError(f"{d}: not a local transformers model folder (no config.json)")
        transformers.utils.logging.disable_progress_bar()
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = transformers.AutoModel.from_pretrained(d).to(self.device).eval()
        if not (hasattr(self.model, "get_image_features") and hasattr(self.model, "get_text_features")):
            raise UsageError(f"{d}: {type(self.model).__name__} has no get_image_features/get_text_features "
                             "(not a CLIP-like model)")
        try:
            proc = transformers.AutoProcessor.from_pretrained(d)
            self.image_processor, self.tokenizer = proc.image_processor, proc.tokenizer
        except (OSError, ValueError, AttributeError):
            self.image_processor = transformers.AutoImageProcessor.from_pretrained(d)
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(d)
        text_cfg = getattr(self.model.config, "text_config", self.model.config)
        self.max_length = min(int(self.tokenizer.model_max_length or 77),
                              int(getattr(text_cfg, "max_position_embeddings", 77)))
        # SigLIP was trained on max-length padding; CLIP pools at EOS and pads freely.
        self.padding = "max_length" if "siglip" in self.model.config.model_type else True

    def _normalised(self, out: Any) -> np.ndarray:
        # transformers 5 returns a BaseModelOutputWithPooling (projected vector in pooler_output); 4.x a tensor.
        t = out if isinstance(out, self.torch.Tensor) else out.pooler_output
        t = t / t.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        return t.float().cpu().numpy()

    def pixels(self, images: list) -> Any:
        return self.image_processor(images=images, return_tensors="pt")["pixel_values"]

    def embed_pixels(self, pixel_values: Any) -> np.ndarray:
        with self.torch.inference_mode():
            return self._normalised(self.model.get_image_features(pixel_values=pixel_values.to(self.device)))

    def tokens(self, texts: list[str]) -> dict[str, Any]:
        return dict(self.tokenizer(texts, padding=self.padding, truncation=True, max_length=self.max_length,
                                   return_tensors="pt"))

    def embed_tokens(self, tokens: dict[str, Any]) -> np.ndarray:
        with self.torch.inference_mode():
            return self._normalised(self.model.get_text_features(**{k: v.to(self.device) for k, v in tokens.items()}))

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return self.embed_tokens(self.tokens(texts))


class ClipScorer:
    """Image embeddings through the cache, text embeddings fresh; counts what it computed."""

    def __init__(self, model: str | os.PathLike | ClipModel, images_root: str | os.PathLike,
                 index_dir: str | os.PathLike | None = None, device: str | None = None):
        self.model = model if isinstance(model, ClipModel) else ClipModel(model, device)
        self.root = Path(images_root)
        model_dir = self.model.path
        fp = model_fingerprint(model_dir)
        self.index = EmbeddingIndex(index_dir or default_index_dir(model_dir, fp))
        self.index.bind(model=str(model_dir.resolve()), fingerprint=fp, images_root=str(self.root.resolve()))
        self.images_embedded = 0  # computed by the model this run
        self.images_cached = 0  # found in the index

    def image_vectors(self, images: Iterable[str]) -> dict[str, np.ndarray | tuple[str, str]]:
        """image path -> unit vector, or (reason, detail) when the file cannot be used."""
        from PIL import Image

        result: dict[str, Any] = {}
        data_by_path: dict[str, bytes] = {}
        hash_by_path: dict[str, str] = {}
        for image in dict.fromkeys(images):
            try:
                data = resolve_image(self.root, image).read_bytes()
            except ImagePathEscape as e:
                result[image] = ("image_path_escape", str(e))
                continue
            except (OSError, ValueError) as e:  # ValueError: a NUL byte in the path
                result[image] = ("image_missing", f"{image!r}: {getattr(e, 'strerror', None) or e}")
                continue
            data_by_path[image], hash_by_path[image] = data, file_hash(data)
        cached = self.index.get_many(hash_by_path.values())
        self.images_cached += len(cached)
        todo: dict[str, Any] = {}  # hash -> decoded image, each distinct content once
        for image, h in hash_by_path.items():
            if h in cached or h in todo:
                continue
            try:
                with Image.open(io.BytesIO(data_by_path[image])) as im:
                    todo[h] = im.convert("RGB")
            except Exception as e:  # broken file: a reason, not a crash
                result[image] = ("image_unreadable", f"{image}: {type(e).__name__}: {e}")
        if todo:
            vecs = self.model.embed_pixels(self.model.pixels(list(todo.values())))
            fresh = dict(zip(todo, vecs))
            self.index.put_many(fresh, {p: h for p, h in hash_by_path.items() if h in fresh})
            cached.update(fresh)
            self.images_embedded += len(fresh)
        self.index.add_paths({p: h for p, h in hash_by_path.items() if h in cached})
        for image, h in hash_by_path.items():
            result.setdefault(image, cached.get(h))
        return result


class ClipFilter(Filter):
    """Score image records in batches; drop those below `min_score` (None: score only, drop nothing)."""

    name = "clip"

    def __init__(self, scorer: ClipScorer, rejects: Rejects | None = None, *,
                 min_score: float | None = None, batch_size: int = 32):
        super().__init__(rejects)
        self.scorer, self.min_score, self.batch_size = scorer, min_score, batch_size
        self.scores: list[float] = []

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        batch: list[Record] = []  # text-only records wait in it too, so output order is input order
        n_images = 0
        for rec in records:
            batch.append(rec)
            n_images += rec.has_image
            if n_images >= self.batch_size:
                yield from self._flush(batch)
                batch, n_images = [], 0
        yield from self._flush(batch)

    def _flush(self, batch: list[Record]) -> Iterator[Record]:
        with_image = [r for r in batch if r.has_image]
        verdicts: dict[int, tuple[str, str] | None] = {}
        if with_image:
            vectors = self.scorer.image_vectors(r.image for r in with_image)
            usable = [r for r in with_image if isinstance(vectors[r.image], np.ndarray)]
            texts = [clip_text(r) for r in usable]
            if usable:
                tv = self.scorer.model.embed_texts([t for t, _ in texts])
                sims = np.einsum("ij,ij->i", np.stack([vectors[r.image] for r in usable]), tv)
                for r, (_, where), s in zip(usable, texts, sims):
                    # the threshold is compared with the score as recorded and shown (4 places):
                    # a record whose meta says 0.2500 is kept at --min-clip-score 0.25
                    shown = round(float(s), 4)
                    r.meta["clip_score"] = shown
                    r.meta["clip_text_source"] = where
                    self.scores.append(float(s))
                    if self.min_score is not None and shown < self.min_score:
                        verdicts[id(r)] = (LOW_SIMILARITY, f"clip_score {shown:.4f} < {self.min_score}")
            for r in with_image:
                if not isinstance(vectors[r.image], np.ndarray):
                    verdicts[id(r)] = vectors[r.image]
        for r in batch:
            verdict = verdicts.get(id(r))
            if verdict is None:
                self.kept += 1
                yield r
            else:
                self.dropped[verdict[0]] += 1
                r.meta.setdefault("reasons", []).append(verdict[0])
                self.rejects.add(r, verdict[0], stage=self.name, detail=verdict[1])

    def stats(self) -> dict[str, Any]:
        s = np.asarray(self.scores)
        quantiles = {f"p{q}": round(float(np.percentile(s, q)), 4) for q in (5, 25, 50, 75, 95)} if s.size else {}
        return {**super().stats(), "min_score": self.min_score, "scored": int(s.size),
                "images_embedded": self.scorer.images_embedded, "images_cached": self.scorer.images_cached,
                "index": str(self.scorer.index.folder), "score_quantiles": quantiles}


def clip_search(index_dir: str | os.PathLike, text: str, *, top: int = 10,
                model_dir: str | os.PathLike | None = None, device: str | None = None) -> dict[str, Any]:
    """Text → images: the `top` cached images closest to `text`, best first."""
    with EmbeddingIndex(index_dir, create=False) as index:
        info = index.info()
        model_dir = model_dir or info.get("model")
        if not model_dir:
            raise UsageError(f"{index_dir}: the index names no model; pass --clip-model")
        if model_fingerprint(model_dir) != info.get("fingerprint"):
            raise UsageError(f"{model_dir} is not the model that built {index_dir} ({info.get('model')})")
        hashes, matrix = index.matrix()
        paths = index.paths_by_hash()
    model = ClipModel(model_dir, device)
    hits: list[dict[str, Any]] = []
    if hashes:
        sims = matrix @ model.embed_texts([text])[0]
        for i in np.argsort(-sims, kind="stable")[:top]:
            hits.append({"score": round(float(sims[i]), 4), "hash": hashes[i], "images": paths.get(hashes[i], [])})
    return {"index": str(index_dir), "model": str(model_dir), "images_root": info.get("images_root"),
            "indexed": len(hashes), "query": text, "hits": hits}
