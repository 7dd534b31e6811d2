"""Build a tiny, random Argos package offline, and point Argos at a temp data dir.

Recipe (../shared/NOTES.md): a sentencepiece model trained on a few hundred
lines, a random 1+1-layer MarianMT, converted with CTranslate2, laid out as
``translate-en_pt-0_0_1/{metadata.json, model/, sentencepiece.model}`` and
zipped. It translates to gibberish, which is the point: the package format,
install and decoding path are real. Takes ~20 s (transformers import), so
tests build it once per session.
"""
from __future__ import annotations

import json
import os
import random
import sys
import zipfile
from pathlib import Path

WORDS = ("a the cat dog sits on mat red blue house car man woman runs eats apple table image shows zebra "
         "quickly jumps over lazy fox with bright yellow kite picture of kids playing near river bank").split()


def build_argosmodel(root: Path, from_code: str = "en", to_code: str = "pt") -> Path:
    import ctranslate2
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    rng = random.Random(0)
    torch.manual_seed(0)
    root.mkdir(parents=True, exist_ok=True)
    name = f"translate-{from_code}_{to_code}-0_0_1"
    pkg = root / name
    pkg.mkdir()
    text = root / "sp.txt"
    text.write_text("\n".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 10))) + "."
                              for _ in range(400)))
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(pkg / "sentencepiece"), vocab_size=80,
                                   model_type="unigram", hard_vocab_limit=False, eos_id=0, unk_id=1,
                                   pad_id=-1, bos_id=-1, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=str(pkg / "sentencepiece.model"))
    v = sp.get_piece_size()
    cfg = MarianConfig(vocab_size=v + 1, d_model=32, encoder_layers=1, decoder_layers=1,
                       encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                       decoder_ffn_dim=64, pad_token_id=v, eos_token_id=0, decoder_start_token_id=v,
                       max_position_embeddings=512)
    hf = root / "hf"
    MarianMTModel(cfg).save_pretrained(hf)
    # the converter reads the vocabulary through a Marian tokenizer saved beside the model
    vocab = {sp.id_to_piece(i): i for i in range(v)} | {"<pad>": v}
    (root / "vocab.json").write_text(json.dumps(vocab))
    MarianTokenizer(source_spm=str(pkg / "sentencepiece.model"), target_spm=str(pkg / "sentencepiece.model"),
                    vocab=str(root / "vocab.json")).save_pretrained(hf)
    ctranslate2.converters.TransformersConverter(str(hf)).convert(str(pkg / "model"))
    (pkg / "metadata.json").write_text(json.dumps({
        "package_version": "0.0.1", "argos_version": "1.11", "from_code": from_code, "from_name": "English",
        "to_code": to_code, "to_name": "Portuguese", "type": "translate", "links": []}))
    out = root / f"{name}.argosmodel"
    with zipfile.ZipFile(out, "w") as z:
        for f in sorted(pkg.rglob("*")):
            z.write(f, f.relative_to(root))
    return out


def use_argos_dir(mp, base: Path) -> Path:
    """Make Argos read and install packages under `base` only (never the user's home).

    Sets the environment before argostranslate.settings is first imported (it
    creates its data/config/cache dirs at import), then patches the settings
    module, which read the environment once.
    """
    packages = base / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    for var, sub in [("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")]:
        if "argostranslate.settings" not in sys.modules:
            mp.setenv(var, str(base / sub))
    mp.setenv("ARGOS_PACKAGES_DIR", str(packages))
    from argostranslate import settings

    mp.setattr(settings, "package_data_dir", packages)
    mp.setattr(settings, "package_dirs", [packages])
    return packages


def argos_env(packages: Path) -> dict:
    """Environment for a subprocess that should see only `packages`."""
    base = packages.parent
    return {**os.environ, "ARGOS_PACKAGES_DIR": str(packages), "XDG_DATA_HOME": str(base / "data"),
            "XDG_CONFIG_HOME": str(base / "config"), "XDG_CACHE_HOME": str(base / "cache")}
