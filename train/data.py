"""The published dataset -> model inputs: LLaVA turns in the processor's chat format, assistant-only labels.

`corpus build` writes ``REPO/data/{split}-NNNNN-of-NNNNN.parquet`` with columns ``id``,
``image`` (a path string, or an embedded ``datasets.Image``) and ``conversations``
(``[{"from", "value"}]``). Training reads only that, through ``datasets.load_dataset``.

Labels: only assistant tokens (the answer and its end-of-turn marker) are trained; the
prompt, the template's role headers and every image token are -100. A sample longer than
``max_length`` is cut after its last image token when some answer survives the cut, and
skipped (counted by reason) otherwise: image tokens are never truncated, because a half
image makes the model's image-token count disagree with its features.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from corpus.errors import TrainError, UsageError
from corpus.record import IMAGE_TOKEN

IGNORE = -100
ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}
# Keys padded along the sequence; every other tensor (pixel_values, image_sizes, ...) is concatenated.
SEQ_KEYS = ("input_ids", "attention_mask", "labels", "token_type_ids", "mm_token_type_ids")


IMAGE_ONLY_PROCESSORS = frozenset({"PaliGemmaProcessor"})


class Skip(Exception):
    """A sample that cannot be trained on; `reason` is a stable snake_case code."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def load_split(dataset: str, split: str, max_samples: int | None = None):
    """`datasets.load_dataset` on a folder written by `corpus build` or a Hub id; one split."""
    try:
        import datasets
    except ImportError:  # pragma: no cover - datasets is a core dependency
        from corpus.errors import MissingDependency

        raise MissingDependency("datasets", "train") from None
    if not dataset:
        raise UsageError("no dataset given: pass --dataset or set `dataset:` in the recipe")
    local = Path(dataset)
    if local.exists() and not local.is_dir():
        raise UsageError(f"{dataset}: expected the folder written by `corpus build` (with data/*.parquet) or a Hub id")
    try:
        ds = datasets.load_dataset(str(local) if local.is_dir() else dataset, split=split)
    except ValueError as e:  # unknown split
        raise UsageError(f"{dataset}: {' '.join(str(e).split())}") from None
    except FileNotFoundError as e:
        raise UsageError(f"{dataset}: not a local folder and not reachable on the Hub ({e})") from None
    missing = {"conversations"} - set(ds.column_names)
    if missing:
        raise UsageError(f"{dataset} [{split}]: no 'conversations' column (columns: {', '.join(ds.column_names)})")
    if max_samples is not None:
        ds = ds.select(range(min(max_samples, len(ds))))
    return ds


def default_images_root(dataset: str, images_root: str | None) -> Path | None:
    if images_root:
        return Path(images_root)
    return Path(dataset) if Path(dataset).is_dir() else None


def load_image(value: Any, root: Path | None):
    """The row's image as RGB PIL, or None when the row has none. Raises Skip when it cannot be read."""
    if value is None:
        return None
    from PIL import Image

    if isinstance(value, Image.Image):
        return value.convert("RGB")
    if isinstance(value, dict):  # datasets.Image(decode=False): {"bytes", "path"}
        if value.get("bytes"):
            import io

            return Image.open(io.BytesIO(value["bytes"])).convert("RGB")
        value = value.get("path")
        if value is None:
            return None
    if root is None:
        raise Skip("image_missing")
    from corpus.imagefile import ImagePathEscape, resolve_image

    try:
        path = resolve_image(root, str(value))
    except ImagePathEscape:
        raise Skip("image_path_escape") from None
    if not path.is_file():
        raise Skip("image_missing")
    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except Exception:  # PIL raises many types for broken files
        raise Skip("image_unreadable") from None


def to_messages(conversations: list[dict], has_image: bool) -> list[dict]:
    """LLaVA turns -> chat messages with typed content; `<image>` becomes an image item in place.

    A record with an image but no placeholder gets the image before its first user text
    (LLaVA's convention); a placeholder without an image is a Skip.
    """
    messages, n_placeholders = [], 0
    for turn in conversations:
        role = ROLES.get(turn["from"])
        if role is None:
            raise Skip("unknown_role")
        content: list[dict] = []
        for i, piece in enumerate(turn["value"].split(IMAGE_TOKEN)):
            if i:
                content.append({"type": "image"})
                n_placeholders += 1
            piece = piece.strip("\n") if i or IMAGE_TOKEN in turn["value"] else piece
            if piece.strip():
                content.append({"type": "text", "text": piece})
        messages.append({"role": role, "content": content})
    if has_image and n_placeholders == 0:
        first_user = next((m for m in messages if m["role"] == "user"), None)
        if first_user is None:
            raise Skip("no_user_turn")
        first_user["content"].insert(0, {"type": "image"})
        n_placeholders = 1
    if n_placeholders != (1 if has_image else 0):
        raise Skip("image_count_mismatch")
    return messages


def qa_pairs(messages: list[dict]):
    """(prompt messages, reference answer) for every assistant turn, gold history before it."""
    for i, m in enumerate(messages):
        if m["role"] == "assistant":
            yield messages[:i], "".join(c.get("text", "") for c in m["content"])


class Encoder:
    """Turn one sample into input_ids / labels / pixel_values with the processor's own template."""

    def __init__(self, processor, max_length: int, chat_template: str | None = None,
                 answer_token_type: int | None = None):
        self.processor, self.max_length, self.answer_token_type = processor, max_length, answer_token_type
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.chat_template = _read_template(chat_template)
        if not (self.chat_template or getattr(processor, "chat_template", None)):
            raise TrainError("the processor has no chat template; set `chat_template:` in the recipe")
        # Processors that always prefix image tokens and raise on text-only input.
        self.needs_image = type(processor).__name__ in IMAGE_ONLY_PROCESSORS

    def render(self, messages: list[dict], generation_prompt: bool = False) -> str:
        return self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt,
                                                  chat_template=self.chat_template)

    def _add_special(self, text: str) -> bool:
        bos = getattr(self.tokenizer, "bos_token", None)
        return not (bos and text.startswith(bos))  # templates that write <s> themselves: don't add a second

    def prompt(self, messages: list[dict], image=None) -> dict:
        """Generation inputs: the conversation so far plus the assistant header."""
        text = self.render(messages, generation_prompt=True)
        has_image = any(c.get("type") == "image" for m in messages for c in m["content"])
        special = self._add_special(text)
        enc = self.processor(text=[text], images=[image] if has_image and image is not None else None,
                             return_tensors="pt", add_special_tokens=special)
        plain = self.tokenizer(text, add_special_tokens=special)["input_ids"]
        _, end = self._align(enc["input_ids"][0].tolist(), plain)
        # PaliGemma's processor returns all -100 labels (no suffix given) and appends "\n": neither belongs here.
        return {k: (v[:, :end] if k in SEQ_KEYS else v) for k, v in enc.items() if k != "labels"}

    def _align(self, ids: list[int], plain_ids: list[int]) -> tuple[int, int]:
        """Where the plain text after the last image token sits in the processor's `ids`: (start, end).

        Image placeholders expand into many tokens, and some processors add tokens of their own
        around our text (PaliGemma: <bos> after the image, "\n" at the very end; Idefics3: a
        <fake_token_around_image> after it), so look for the plain tail after the processor's last
        image token. Tokens after `end` were added by the processor and are dropped by the callers.
        """
        image_id = getattr(self.tokenizer, "image_token_id", None) or _token_id(self.tokenizer, IMAGE_TOKEN)
        tail = plain_ids[max((i for i, t in enumerate(plain_ids) if t == image_id), default=-1) + 1:]
        first = max((i for i, t in enumerate(ids) if t == image_id), default=-1) + 1
        for start in range(first, len(ids) - len(tail) + 1):
            if ids[start:start + len(tail)] == tail:
                return start, start + len(tail)
        raise TrainError("processor and tokenizer disagree on the text after the image; cannot place labels")

    def answer_spans(self, messages: list[dict]) -> tuple[str, list[tuple[int, int]]]:
        """The full text and the character spans of each assistant turn (answer + end-of-turn)."""
        full = self.render(messages)
        spans = []
        for i, m in enumerate(messages):
            if m["role"] != "assistant":
                continue
            before = self.render(messages[:i], generation_prompt=True)
            through = self.render(messages[: i + 1])
            if not (full.startswith(before) and full.startswith(through)) or len(through) < len(before):
                raise TrainError("the chat template does not render conversations prefix by prefix; "
                                 "set `chat_template:` to one that does")
            spans.append((len(before), len(through)))
        return full, spans

    def encode(self, messages: list[dict], image=None) -> dict:
        """Tensors for one sample (batch dim 1); raises Skip when it cannot fit in max_length."""
        full, spans = self.answer_spans(messages)
        if not spans:
            raise Skip("no_assistant_turn")
        if image is None and self.needs_image:
            raise Skip("image_required")  # PaliGemma's processor cannot encode text-only samples
        special = self._add_special(full)
        plain = self.tokenizer(full, add_special_tokens=special, return_offsets_mapping=True)
        trained = [any(s <= start < e for s, e in spans) and end > start for start, end in plain["offset_mapping"]]
        enc = self.processor(text=[full], images=[image] if image is not None else None, return_tensors="pt",
                             add_special_tokens=special)
        start, end = self._align(enc["input_ids"][0].tolist(), plain["input_ids"])
        enc = {k: (v[:, :end] if k in SEQ_KEYS else v) for k, v in enc.items() if k != "labels"}
        ids = enc["input_ids"][0]
        labels = ids.new_full(ids.shape, IGNORE)
        last_img = len(plain["input_ids"]) - (end - start)  # first plain token after the last image token
        for k, keep in enumerate(trained[last_img:]):
            if keep:
                labels[start + k] = ids[start + k]
        if len(ids) > self.max_length:
            if self.max_length <= start:
                raise Skip("image_tokens_exceed_max_length")
            if not (labels[: self.max_length] != IGNORE).any():
                raise Skip("no_answer_within_max_length")
            enc = {k: (v[:, : self.max_length] if k in SEQ_KEYS else v) for k, v in enc.items()}
            labels = labels[: self.max_length]
        out = dict(enc)
        out["labels"] = labels.unsqueeze(0)
        if self.answer_token_type is not None and "token_type_ids" in out:
            # The suffix of a prefix-LM runs from the first answer token to the end: a later prefix-typed
            # token (a second question) would sit in the bidirectional block and leak answers back into it.
            tt = out["token_type_ids"].clone()
            answer = (out["labels"][0] != IGNORE).nonzero()
            if len(answer):
                tt[0, int(answer[0]):] = self.answer_token_type
            out["token_type_ids"] = tt
        return out


def _token_id(tokenizer, token: str) -> int | None:
    tid = tokenizer.convert_tokens_to_ids(token)
    return None if tid == getattr(tokenizer, "unk_token_id", None) else tid


def _read_template(value: str | None) -> str | None:
    if value and "{" not in value:
        p = Path(value)
        if not p.is_file():
            raise UsageError(f"chat_template: {value} is neither a Jinja template nor a file")
        return p.read_text(encoding="utf-8")
    return value


class SupervisedDataset:
    """Map-style dataset encoding lazily (images load when the sample is used); counts skips by reason."""

    def __init__(self, rows, encoder: Encoder, images_root: Path | None):
        self.rows, self.encoder, self.images_root = rows, encoder, images_root
        self.skipped: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict | None:
        row = self.rows[i]
        try:
            image = load_image(row.get("image"), self.images_root)
            return self.encoder.encode(to_messages(row["conversations"], image is not None), image)
        except Skip as s:
            self.skipped[s.reason] += 1
            return None


def collate(batch: list[dict | None], pad_id: int) -> dict | None:
    """Right-pad sequence keys, concatenate the rest; skipped samples (None) are dropped."""
    import torch

    batch = [b for b in batch if b is not None]
    if not batch:
        return None
    width = max(b["input_ids"].shape[1] for b in batch)
    out: dict[str, Any] = {}
    for key in dict.fromkeys(k for b in batch for k in b):  # union: text-only samples lack pixel_values
        values = [b[key] for b in batch if key in b]
        if key in SEQ_KEYS:
            fill = {"input_ids": pad_id, "labels": IGNORE}.get(key, 0)
            out[key] = torch.cat([torch.nn.functional.pad(v, (0, width - v.shape[1]), value=fill) for v in values])
        elif torch.is_tensor(values[0]):
            out[key] = torch.cat(values)
    return out
