"""The `argos` engine: an installed Argos Translate package, fully offline.

Argos packages are a CTranslate2 model plus a tokenizer. We find them with
``argostranslate.package`` (cheap to import) and run the model through
CTranslate2 the way ``argostranslate.translate`` does (same tokenizer,
target prefix, beam size and device settings), but on whole batches of
sentences and without ``argostranslate.translate`` itself, because that
module costs 4.4 s / 426 MB to import (torch, spacy, stanza) and downloads a
sentence splitter on first use, which fails offline. The pipeline already
hands us single sentences, so no splitter is needed.

``argos_package=FILE.argosmodel`` installs a package from a local file
first; nothing here ever downloads.

Example:
    eng = ArgosEngine(source="en", target="pt-BR", argos_package="translate-en_pt-1_9.argosmodel")
    eng.translate_batch(["A cat sits on the mat."])
"""
from __future__ import annotations

import threading
import zipfile
from pathlib import Path
from typing import Any

from corpus.errors import EngineFailed, EngineUnavailable, UsageError

INSTALL_HINT = ("install an en→pt package from a local file with --argos-package FILE.argosmodel "
                "(or `argospm install translate-en_pt` where the network allows)")


def argos_codes(code: str) -> list[str]:
    """Argos codes for one of ours, best first: pt-BR prefers the Brazilian 'pb' package, then 'pt'."""
    base = code.split("-")[0].lower()
    return ["pb", "pt"] if code.lower() in ("pt-br", "pb") else [base]


def _package_module():
    try:
        import argostranslate.package as package
    except ImportError:
        raise EngineUnavailable("argostranslate is not installed: pip install 'corpus-ptbr[argos]'") from None
    return package


def install_package(path: str | Path) -> None:
    """Install a local .argosmodel file (no network)."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"--argos-package {p}: no such file")
    if not zipfile.is_zipfile(p):
        raise UsageError(f"--argos-package {p}: not an .argosmodel (zip) file")
    _package_module().install_from_path(p)


def find_package(source: str, target: str):
    """The installed translate package for source→target, or None. Also returns the dirs searched."""
    package = _package_module()
    dirs = [str(d) for d in package.settings.package_dirs]
    installed = [p for p in package.get_installed_packages() if getattr(p, "type", "translate") == "translate"]
    for src in argos_codes(source):
        for tgt in argos_codes(target):
            for pkg in installed:
                if pkg.from_code == src and pkg.to_code == tgt:
                    return pkg, dirs
    return None, dirs


class ArgosEngine:
    """An installed Argos package run through CTranslate2 (see the module docstring)."""

    name = "argos"
    max_chars = 1000  # ~300 tokens: well inside the models' 512 positions
    batch_size = 32  # sentences per CTranslate2 call: batching is where its speed comes from

    def __init__(self, source: str = "en", target: str = "pt-BR", argos_package: str | None = None, **_: Any):
        if argos_package:
            install_package(argos_package)
        pkg, dirs = find_package(source, target)
        if pkg is None:
            raise EngineUnavailable(f"engine 'argos': no {source}→{target} package installed "
                                    f"(searched {', '.join(dirs)}); {INSTALL_HINT}")
        self.pkg = pkg
        self.version = f"argos/{pkg.from_code}-{pkg.to_code}/{Path(pkg.package_path).name}/{pkg.package_version}"
        self.counters: dict[str, int] = {"calls": 0, "retries": 0, "sentences": 0}
        self._translator = None
        self._lock = threading.Lock()

    def _model(self):
        with self._lock:  # one CTranslate2 model per engine, loaded on first use
            if self._translator is None:
                import ctranslate2
                from argostranslate import settings

                self._translator = ctranslate2.Translator(
                    str(Path(self.pkg.package_path) / "model"),
                    device=settings.device,
                    inter_threads=settings.inter_threads,
                    intra_threads=settings.intra_threads,
                    compute_type=settings.compute_type,
                )
            return self._translator

    def translate_batch(self, texts: list[str]) -> list[str]:
        out = list(texts)
        todo = [i for i, t in enumerate(texts) if t.strip()]  # blank stays blank, no model call
        if not todo:
            return out
        from argostranslate import settings

        tok = self.pkg.tokenizer
        prefix = self.pkg.target_prefix
        tokens = {i: tok.encode(texts[i].strip()) for i in todo}
        # CTranslate2 stops at 256 tokens by default, which would cut a long sentence silently.
        # The cap grows with the sentence, in steps, and sentences are grouped by cap, so a
        # sentence's translation never depends on what else is in the batch (the memory relies on it).
        groups: dict[int, list[int]] = {}
        for i in todo:
            groups.setdefault(min(1024, 64 * -(-(2 * len(tokens[i]) + 16) // 64)), []).append(i)
        results = {}
        try:
            for cap, idx in groups.items():
                batch = [tokens[i] for i in idx]
                res = self._model().translate_batch(
                    batch,
                    target_prefix=[[prefix]] * len(batch) if prefix else None,
                    replace_unknowns=True,
                    max_batch_size=settings.batch_size,
                    beam_size=settings.beam_size,
                    num_hypotheses=1,
                    length_penalty=0.2,
                    max_decoding_length=cap,
                )
                results.update(zip(idx, res))
        except Exception as e:  # CTranslate2 raises RuntimeError/ValueError on a broken model
            raise EngineFailed(f"engine 'argos' failed: {type(e).__name__}: {' '.join(str(e).split())[:200]}") from None
        with self._lock:
            self.counters["calls"] += 1
            self.counters["sentences"] += len(todo)
        for i in todo:
            value = tok.decode(results[i].hypotheses[0])
            if prefix and value.startswith(prefix):
                value = value[len(prefix):]
            src = texts[i]
            lead, trail = src[: len(src) - len(src.lstrip())], src[len(src.rstrip()):]
            out[i] = lead + value.strip() + trail
        return out
