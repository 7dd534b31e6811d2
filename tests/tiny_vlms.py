"""Tiny PaliGemma and SmolVLM (Idefics3) built from configs: no hub, seconds on CPU.

Same idea as tests/tiny_llava.py: real model and processor classes at toy size, saved to a
folder that `corpus train --model DIR` loads through AutoModelForImageTextToText + AutoProcessor.

- PaliGemma: SigLIP 32px/8 (16 image tokens) + Gemma 2 layers, PaliGemmaProcessor (it inserts
  <bos> after the image tokens and appends "\\n" itself; it has no chat template: the recipe's is used).
- SmolVLM v1 (Idefics3ForConditionalGeneration): SigLIP-style 32px/8 + pixel shuffle 2 (4 image
  tokens between <fake_token_around_image><global-img> ... <fake_token_around_image>) + Llama 2
  layers, with SmolVLM's "User:/Assistant:" template ending turns in <end_of_utterance>.

    >>> path = build_tiny_paligemma(tmp_path / "tiny-paligemma")
"""
from __future__ import annotations

from pathlib import Path

from tiny_llava import _CORPUS, cached, save_tiny

IMAGE_SIZE = 32
PATCH = 8
PALIGEMMA_IMAGE_SEQ = (IMAGE_SIZE // PATCH) ** 2  # 16
IDEFICS3_IMAGE_SEQ = (IMAGE_SIZE // PATCH) ** 2 // 4  # pixel shuffle with scale factor 2: 4

# SmolVLM-Instruct's template, reduced to what the records use (typed content, one image).
SMOLVLM_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}"
    "{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{ line['text'] }}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)


def _bpe(specials: list[str], **special_roles):
    """A byte-level BPE tokenizer (vocab 400) on the Portuguese toy corpus, as a PreTrainedTokenizerFast."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_CORPUS * 20, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", **special_roles)


def build_tiny_paligemma(path: Path, seed: int = 0) -> Path:
    """Write a tiny PaliGemmaForConditionalGeneration and its PaliGemmaProcessor to `path`."""
    import torch
    from transformers import (
        GemmaConfig,
        PaliGemmaConfig,
        PaliGemmaForConditionalGeneration,
        PaliGemmaProcessor,
        SiglipVisionConfig,
    )
    from transformers.models.siglip.image_processing_pil_siglip import (
        SiglipImageProcessorPil,
    )

    path = Path(path)
    tok = _bpe(["<pad>", "<eos>", "<bos>", "<unk>", "<image>"], bos_token="<bos>", eos_token="<eos>",
               pad_token="<pad>", extra_special_tokens={"image_token": "<image>"})
    # google/paligemma-*-224 ships image_seq_length in preprocessor_config.json; the processor requires it.
    image_processor = SiglipImageProcessorPil(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE},
                                              image_seq_length=PALIGEMMA_IMAGE_SEQ)
    processor = PaliGemmaProcessor(image_processor=image_processor, tokenizer=tok)  # adds 1152 <loc>/<seg> tokens
    vision = SiglipVisionConfig(image_size=IMAGE_SIZE, patch_size=PATCH, hidden_size=32, intermediate_size=64,
                                num_hidden_layers=2, num_attention_heads=2, vision_use_head=False)
    text = GemmaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=1, head_dim=16, max_position_embeddings=512,
                       bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    config = PaliGemmaConfig(vision_config=vision, text_config=text, image_token_index=processor.image_token_id,
                             projection_dim=64, hidden_size=64, vocab_size=len(tok))
    torch.manual_seed(seed)
    model = PaliGemmaForConditionalGeneration(config)
    return save_tiny(model, processor, tok, path)


def build_tiny_smolvlm(path: Path, seed: int = 0) -> Path:
    """Write a tiny Idefics3ForConditionalGeneration (SmolVLM v1's class) and its Idefics3Processor to `path`."""
    import torch
    from transformers import (
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        Idefics3Processor,
        Idefics3VisionConfig,
        LlamaConfig,
    )
    from transformers.models.idefics3.image_processing_pil_idefics3 import (
        Idefics3ImageProcessorPil,
    )

    path = Path(path)
    specials = ["<unk>", "<|im_start|>", "<end_of_utterance>", "<pad>", "<image>", "<fake_token_around_image>",
                "<global-img>"]
    tok = _bpe(specials, bos_token="<|im_start|>", eos_token="<end_of_utterance>", pad_token="<pad>",
               extra_special_tokens={"image_token": "<image>"})
    # One global image, no splitting: 32px in, 4 image tokens out.
    image_processor = Idefics3ImageProcessorPil(do_image_splitting=False, size={"longest_edge": IMAGE_SIZE},
                                                max_image_size={"longest_edge": IMAGE_SIZE})
    processor = Idefics3Processor(image_processor=image_processor, tokenizer=tok, image_seq_len=IDEFICS3_IMAGE_SEQ,
                                  chat_template=SMOLVLM_TEMPLATE)
    vision = Idefics3VisionConfig(image_size=IMAGE_SIZE, patch_size=PATCH, hidden_size=32, intermediate_size=64,
                                  num_hidden_layers=2, num_attention_heads=2)
    text = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=512,
                       bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    config = Idefics3Config(vision_config=vision, text_config=text, image_token_id=processor.image_token_id,
                            scale_factor=2)
    torch.manual_seed(seed)
    model = Idefics3ForConditionalGeneration(config)
    return save_tiny(model, processor, tok, path)


def tiny_paligemma() -> Path:
    return cached("paligemma", lambda root: build_tiny_paligemma(root / "tiny-paligemma"))


def tiny_smolvlm() -> Path:
    return cached("smolvlm", lambda root: build_tiny_smolvlm(root / "tiny-smolvlm"))
