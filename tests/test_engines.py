"""`corpus engines`, availability, and third-party engines through a real `corpus.engines` entry point.

The plugin is a real distribution: a module plus a ``*.dist-info`` with
``entry_points.txt`` in a temp dir put on sys.path, found by
importlib.metadata exactly as an installed package would be.
"""
from __future__ import annotations

import json
import textwrap

import pytest
from typer.testing import CliRunner

from corpus.cli import app
from corpus.errors import EngineUnavailable
from corpus.translate.engine import BUILTIN, Engine, availability, get_engine, registry
from libre_server import LibreServer

runner = CliRunner()

PLUGIN = '''
class UpperEngine:
    """A third-party engine: upper-cases text (enough to see it was called)."""
    name = "upper"
    version = "upper-1.0"
    max_chars = 500

    def __init__(self, source="en", target="pt-BR", **options):
        self.counters = {"calls": 0, "retries": 0}

    def translate_batch(self, texts):
        self.counters["calls"] += 1
        return [t.upper() for t in texts]

    @staticmethod
    def availability(source, target, **options):
        return target == "pt-BR", "upper-cases text" if target == "pt-BR" else f"no {target} support"
'''


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    (tmp_path / "corpus_upper_plugin.py").write_text(PLUGIN)
    info = tmp_path / "corpus_upper_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: corpus-upper-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent("""
        [corpus.engines]
        upper = corpus_upper_plugin:UpperEngine
        broken = corpus_no_such_module:Engine
        bergamot = corpus_upper_plugin:UpperEngine
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.cache_clear()
    yield tmp_path
    registry.cache_clear()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No keys from the developer's shell; Argos looks in an empty temp dir, never in $HOME."""
    for var in ("DEEPL_API_KEY", "MICROSOFT_API_KEY", "LIBRE_API_KEY", "LIBRE_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    try:
        from argos_package import use_argos_dir

        use_argos_dir(monkeypatch, tmp_path / "argos")
    except ImportError:  # argostranslate not installed: the argos row says so
        pass


def engines_json(*args: str) -> dict[str, dict]:
    res = runner.invoke(app, ["engines", "--json", *args])
    assert res.exit_code == 0, res.output
    return {row["name"]: row for row in json.loads(res.stdout)}


def test_plugin_is_registered_and_usable(plugin):
    reg = registry()
    assert reg["upper"].origin == "corpus-upper-plugin"
    assert reg["bergamot"].origin == "builtin"  # a plugin cannot shadow a built-in
    eng = get_engine("upper", source="en", target="pt-BR", api_key="ignored")
    assert isinstance(eng, Engine)
    assert eng.translate_batch(["a cat", "b"]) == ["A CAT", "B"] and eng.counters["calls"] == 1
    with pytest.raises(EngineUnavailable, match="cannot be imported"):
        get_engine("broken")


def test_plugins_in_corpus_engines(plugin):
    rows = engines_json()
    assert list(rows)[: len(BUILTIN)] == list(BUILTIN)  # built-ins first, in registry order
    assert rows["upper"] == {"name": "upper", "origin": "corpus-upper-plugin", "kind": "plugin",
                             "available": True, "why": "upper-cases text"}
    assert rows["broken"]["available"] is False
    assert rows["broken"]["why"].startswith("cannot be imported: ModuleNotFoundError")
    assert engines_json("upper", "--target", "es")["upper"]["why"] == "no es support"
    table = runner.invoke(app, ["engines"])
    assert table.exit_code == 0 and "upper" in table.stdout and "corpus-upper-plugin" in table.stdout


def test_table_lists_every_builtin_with_reasons():
    res = runner.invoke(app, ["engines"])
    assert res.exit_code == 0, res.output
    for name in BUILTIN:
        assert name in res.stdout
    rows = engines_json()
    assert not rows["deepl"]["available"] and "DEEPL_API_KEY" in rows["deepl"]["why"]
    assert not rows["microsoft"]["available"] and "MICROSOFT_API_KEY" in rows["microsoft"]["why"]
    assert not rows["libre"]["available"] and "--base-url" in rows["libre"]["why"]
    assert rows["google"]["available"] and rows["google"]["kind"] == "online"
    assert rows["bergamot"]["kind"] == "offline"


def test_keys_make_engines_available_and_are_never_shown(monkeypatch):
    monkeypatch.setenv("DEEPL_API_KEY", "dk-TOPSECRET:fx")
    monkeypatch.setenv("MICROSOFT_API_KEY", "ms-TOPSECRET")
    res = runner.invoke(app, ["engines"])
    rows = engines_json()
    assert rows["deepl"]["available"] and rows["deepl"]["why"].startswith("key from DEEPL_API_KEY")
    assert rows["microsoft"]["available"]
    assert "TOPSECRET" not in res.stdout + res.stderr


def test_argos_without_package_says_how_to_install():
    pytest.importorskip("argostranslate")
    row = engines_json("argos")["argos"]
    assert row["available"] is False and "--argos-package FILE.argosmodel" in row["why"]


def test_probe_translates_one_sentence():
    with LibreServer() as srv:
        row = engines_json("libre", "--probe", "--base-url", srv.url)["libre"]
        assert row["available"] and row["why"].startswith("probe ok: 'Hello, world.' → 'Olá, mundo.'")
        srv.always["Hello"] = "500"
        row = engines_json("libre", "--probe", "--base-url", srv.url)["libre"]
        assert not row["available"] and "http_500" in row["why"]


def test_unknown_engine_is_a_one_line_error():
    res = runner.invoke(app, ["engines", "nope"])
    assert res.exit_code == 2
    assert res.stderr.strip().startswith("Error: unknown engine 'nope'; available: argos,")
    with pytest.raises(EngineUnavailable):
        availability("nope")


def test_help_ends_with_example():
    res = runner.invoke(app, ["engines", "--help"])
    assert res.exit_code == 0 and "Example: corpus engines" in res.stdout
