"""The argos engine with a real (tiny, random) .argosmodel built in the test, offline.

The package is built once per session (tests/argos_package.py) and
installed into a temp Argos data dir; the network is switched off for
every test here, so any download attempt (Argos' sentence splitter, the
package index) fails the test.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys

import pytest

pytest.importorskip("argostranslate", reason="argostranslate is not installed (extra [argos])")
pytest.importorskip("ctranslate2")
pytest.importorskip("transformers", reason="building the test package needs transformers (extra [train])")

from typer.testing import CliRunner  # noqa: E402

from argos_package import argos_env, build_argosmodel, use_argos_dir  # noqa: E402
from corpus.cli import app  # noqa: E402
from corpus.errors import EngineUnavailable, UsageError  # noqa: E402
from corpus.translate.engine import availability, get_engine  # noqa: E402


@pytest.fixture(scope="session")
def argosmodel(tmp_path_factory):
    return build_argosmodel(tmp_path_factory.mktemp("argos-build"))


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    def refuse(self, address):
        raise OSError(f"network disabled in this test: connect to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def argos_dir(tmp_path, monkeypatch):
    return use_argos_dir(monkeypatch, tmp_path / "argos")


SENTENCES = ["A cat sits on the mat.", "", "  The red car near the river bank. ", "A dog."]


def test_no_package_is_unavailable_with_install_hint(argos_dir):
    with pytest.raises(EngineUnavailable) as exc:
        get_engine("argos", source="en", target="pt-BR")
    msg = str(exc.value)
    assert "no en→pt-BR package installed" in msg and "--argos-package FILE.argosmodel" in msg
    assert str(argos_dir) in msg and "\n" not in msg
    a = availability("argos")
    assert not a.available and "--argos-package" in a.why


def test_install_from_local_file_and_translate(argos_dir, argosmodel):
    eng = get_engine("argos", source="en", target="pt-BR", argos_package=str(argosmodel),
                     api_key="ignored", base_url="http://x", rps=1, timeout=1, retries=3)  # unused options ignored
    assert (argos_dir / "translate-en_pt-0_0_1" / "metadata.json").exists()
    assert eng.version == "argos/en-pt/translate-en_pt-0_0_1/0.0.1"
    out = eng.translate_batch(SENTENCES)
    assert len(out) == len(SENTENCES) and out[1] == ""
    assert all(o.strip() for i, o in enumerate(out) if i != 1)
    assert out[2].startswith("  ") and out[2].endswith(" ")  # edge whitespace kept
    assert out[0] != SENTENCES[0]  # the model ran (gibberish by design)
    assert eng.counters == {"calls": 1, "retries": 0, "sentences": 3}  # one batched model call
    assert eng.translate_batch(SENTENCES) == out  # deterministic (beam search)
    assert eng.translate_batch(["", "   "]) == ["", "   "] and eng.counters["calls"] == 2  # no call for blanks

    again = get_engine("argos")  # now installed: found without --argos-package
    assert again.version == eng.version
    # a sentence's translation does not depend on its batch (the translation memory relies on it)
    assert [again.translate_batch([s])[0] for s in SENTENCES] == out
    assert availability("argos").available


def test_pt_br_prefers_a_brazilian_pb_package(argos_dir, argosmodel):
    get_engine("argos", argos_package=str(argosmodel))
    pb = argos_dir / "translate-en_pb-0_0_1"
    shutil.copytree(argos_dir / "translate-en_pt-0_0_1", pb)
    meta = json.loads((pb / "metadata.json").read_text())
    (pb / "metadata.json").write_text(json.dumps({**meta, "to_code": "pb", "package_version": "0.0.2"}))
    assert get_engine("argos", target="pt-BR").version == "argos/en-pb/translate-en_pb-0_0_1/0.0.2"
    assert get_engine("argos", target="pt-PT").version.startswith("argos/en-pt/")
    with pytest.raises(EngineUnavailable, match="no en→es package"):
        get_engine("argos", target="es")


def test_bad_package_file_is_a_usage_error(argos_dir, tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        get_engine("argos", argos_package=str(tmp_path / "missing.argosmodel"))
    junk = tmp_path / "junk.argosmodel"
    junk.write_text("not a zip")
    with pytest.raises(UsageError, match="not an .argosmodel"):
        get_engine("argos", argos_package=str(junk))


def test_corpus_engines_shows_the_installed_package(argos_dir, argosmodel):
    get_engine("argos", argos_package=str(argosmodel))
    res = CliRunner().invoke(app, ["engines", "argos", "--json"])
    assert res.exit_code == 0, res.output
    [row] = json.loads(res.stdout)
    assert row["name"] == "argos" and row["available"] is True
    assert "en→pt 0.0.1" in row["why"]


def test_translating_imports_nothing_heavy_and_downloads_nothing(argos_dir, argosmodel):
    """In a fresh process: no argostranslate.translate / torch / stanza import, no socket opened."""
    get_engine("argos", argos_package=str(argosmodel))  # install here; the child only translates
    code = (
        "import socket, sys\n"
        "def refuse(self, a): raise OSError('network used')\n"
        "socket.socket.connect = refuse\n"
        "import corpus.translate.argos as m\n"
        "assert 'argostranslate' not in sys.modules, 'imported at module import'\n"
        "eng = m.ArgosEngine(source='en', target='pt-BR')\n"
        "out = eng.translate_batch(['A cat sits on the mat.'])\n"
        "heavy = [n for n in ('argostranslate.translate', 'torch', 'stanza', 'spacy', 'minisbd') if n in sys.modules]\n"
        "print(len(out), heavy)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=argos_env(argos_dir))
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split("\n")[0] == "1 []"


def test_corpus_translate_with_argos_end_to_end(argos_dir, argosmodel, tiny_json, tmp_path):
    """The runner drives the real argos engine; gibberish output makes post-check rejects, each with a reason."""
    out = tmp_path / "out.json"
    res = CliRunner().invoke(app, ["translate", str(tiny_json), "-o", str(out), "--engine", "argos",
                                   "--argos-package", str(argosmodel), "--cache", str(tmp_path / "tm.sqlite")])
    assert res.exit_code == 0, res.output
    stats = json.loads((tmp_path / "out.json.stats.json").read_text())
    assert stats["engine"] == "argos" and stats["engine_version"] == "argos/en-pt/translate-en_pt-0_0_1/0.0.1"
    assert stats["records_out"] + stats["rejected"] == stats["records_in"] == 3
    assert stats["segments_translated"] > 0 and stats["engine_calls"] >= 1
    rejects = [json.loads(line) for line in (tmp_path / "out.json.rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == stats["rejected"] and all(r["reasons"] for r in rejects)
    for rec in json.loads(out.read_text()):
        assert rec["meta"]["engine"] == "argos"
