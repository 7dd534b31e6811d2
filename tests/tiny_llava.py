"""Build a tiny LLaVA (CLIP + Llama, ~150k parameters) and its processor from configs: no hub, seconds on CPU.

The tests train, merge and evaluate this model. It has real LLaVA code paths (vision tower,
projector, image-token expansion, chat template) at toy size, so what passes here exercises
the same code as `llava-hf/llava-1.5-7b-hf`. Usage:

    >>> path = build_tiny_llava(tmp_path / "tiny-llava")   # model + processor saved there
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE_SIZE = 32
PATCH = 8
IMAGE_SEQ = (IMAGE_SIZE // PATCH) ** 2  # 16 image tokens per image after the CLS token is dropped

# Vicuna-style, like llava-hf/llava-1.5's template, plus an end-of-turn </s> so answers learn to stop.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'][0]['text'] + ' ' }}"
    "{% else %}{{ message['role'].upper() + ': ' }}"
    "{% for c in message['content'] %}"
    "{% if c['type'] == 'image' %}{{ '<image>\n' }}{% else %}{{ c['text'] }}{% endif %}"
    "{% endfor %}"
    "{% if message['role'] == 'assistant' %}{{ '</s>' }}{% else %}{{ ' ' }}{% endif %}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)

# Portuguese-flavoured text so the BPE vocabulary covers accents the tests use.
_CORPUS = [
    "USER: Descreva a imagem. ASSISTANT: Um gato preto dormindo no sofá.",
    "USER: O que há na foto? ASSISTANT: Uma praia com coqueiros e o mar azul.",
    "USER: Qual é a cor do carro? ASSISTANT: O carro é vermelho.",
    "Não está aqui. Está lá. Ação, coração, você, é, à, ç, ã, õ, ê, ô, í, ú.",
    "Forneça uma breve descrição da imagem dada. Uma cidade à noite com luzes.",
    "quadrado círculo vermelho verde azul amarelo branco preto fundo",
]


def _tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<unk>", "<s>", "</s>", "<pad>", "<image>"]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_CORPUS * 20, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        extra_special_tokens={"image_token": "<image>"}, chat_template=CHAT_TEMPLATE,
    )


def build_tiny_llava(path: Path, seed: int = 0) -> Path:
    """Write a tiny LlavaForConditionalGeneration and its LlavaProcessor to `path`; return it."""
    import torch
    from transformers import (CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig,
                              LlavaForConditionalGeneration, LlavaProcessor)

    path = Path(path)
    tok = _tokenizer()
    image_processor = CLIPImageProcessor(size={"shortest_edge": IMAGE_SIZE},
                                         crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tok, patch_size=PATCH,
                               vision_feature_select_strategy="default", num_additional_image_tokens=1,
                               chat_template=CHAT_TEMPLATE)
    vision = CLIPVisionConfig(image_size=IMAGE_SIZE, patch_size=PATCH, hidden_size=32, intermediate_size=64,
                              num_hidden_layers=2, num_attention_heads=2, projection_dim=32)
    text = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=512,
                       bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    config = LlavaConfig(vision_config=vision, text_config=text,
                         image_token_index=tok.convert_tokens_to_ids("<image>"), image_seq_length=IMAGE_SEQ,
                         vision_feature_layer=-2, vision_feature_select_strategy="default")
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config)
    return save_tiny(model, processor, tok, path)


def save_tiny(model, processor, tok, path: Path) -> Path:
    """Save a tiny model and its processor, with generation stopping at the tokenizer's eos."""
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.eos_token_id = tok.eos_token_id
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


# A learnable toy task in pt-BR: the colour and shape drawn in the image.
COLORS = {"vermelho": (220, 30, 30), "verde": (30, 180, 60), "azul": (30, 60, 220), "amarelo": (235, 220, 40)}
SHAPES = ("quadrado", "círculo")


def draw(shape: str, color: tuple[int, int, int], size: int = 48):
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (size, size), (245, 245, 245))
    box = (8, 8, size - 8, size - 8)
    (ImageDraw.Draw(im).rectangle if shape == "quadrado" else ImageDraw.Draw(im).ellipse)(box, fill=color)
    return im


def tiny_records(images: Path) -> dict[str, list[dict]]:
    """{"train": [...], "test": [...]}: LLaVA records about generated images written under `images`."""
    images.mkdir(parents=True, exist_ok=True)
    records = []
    for i, (shape, (name, rgb)) in enumerate((s, c) for s in SHAPES for c in COLORS.items()):
        file = f"{i:02d}.png"
        draw(shape, rgb).save(images / file)
        q = "<image>\nQual é a cor da figura?" if i % 2 else "Qual é a cor da figura?\n<image>"
        conv = [{"from": "human", "value": q}, {"from": "gpt", "value": f"O {shape} é {name}."}]
        if i % 3 == 0:  # multi-turn records too
            conv += [{"from": "human", "value": "E qual é a forma?"}, {"from": "gpt", "value": f"É um {shape}."}]
        records.append({"id": f"cor-{i}", "image": file, "conversations": conv})
    return {"train": records + records[:4], "test": records[:4]}


def build_tiny_repo(folder: Path, embed_images: bool = True) -> Path:
    """The published layout (`corpus build` output: data/{split}-*.parquet) for the toy task; returns the repo."""
    import json

    from typer.testing import CliRunner

    from corpus.cli import app

    folder = Path(folder)
    splits = folder / "splits"
    splits.mkdir(parents=True, exist_ok=True)
    for split, recs in tiny_records(folder / "images").items():
        (splits / f"{split}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs),
                                               encoding="utf-8")
    repo = folder / "repo"
    args = ["build", str(splits), "-o", str(repo), "--images-root", str(folder / "images"), "--no-card"]
    res = CliRunner().invoke(app, args + (["--embed-images"] if embed_images else []))
    assert res.exit_code == 0, res.output
    return repo


_CACHE: dict[str, Path] = {}


def cached(name: str, make) -> Path:
    """Build once per test session, shared by test_train/test_merge/test_evaluate (a temp dir removed at exit)."""
    if name not in _CACHE:
        import atexit
        import shutil
        import tempfile

        root = Path(tempfile.mkdtemp(prefix=f"tiny-{name}-"))
        atexit.register(shutil.rmtree, root, True)
        _CACHE[name] = make(root)
    return _CACHE[name]


def tiny_model() -> Path:
    return cached("model", lambda root: build_tiny_llava(root / "tiny-llava"))


def tiny_repo() -> Path:
    return cached("repo", build_tiny_repo)


def tiny_run() -> Path:
    """`corpus train recipes/tiny-cpu.yaml` on the toy task; the adapter folder (stdout kept in cli-output.txt)."""
    from typer.testing import CliRunner

    from corpus.cli import app

    def make(root: Path) -> Path:
        out = root / "adapter"
        recipe = ROOT / "recipes" / "tiny-cpu.yaml"
        res = CliRunner().invoke(app, ["train", str(recipe), "--model", str(tiny_model()),
                                       "--dataset", str(tiny_repo()), "-o", str(out)])
        assert res.exit_code == 0, res.output
        (root / "cli-output.txt").write_text(res.output, encoding="utf-8")
        return out

    return cached("run", make)


if __name__ == "__main__":  # python tests/tiny_llava.py OUT_DIR
    import sys

    print(build_tiny_llava(Path(sys.argv[1] if len(sys.argv) > 1 else "tiny-llava")))
