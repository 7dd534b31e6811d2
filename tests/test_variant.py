"""The pt-BR vs pt-PT scorer: cross-validated accuracy on NTREX-128, its fitting, markers, and the filter reason."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import rec, shared_path
from corpus.filters import VariantFilter
from corpus.record import Record, Turn
from corpus import variant, variant_fit
from corpus.variant import VariantScorer, default_model_path, markers

# Nested 10-fold cross-validation of the fitting procedure over all 998 NTREX dev lines
# (bench/variant_eval.py, stop 13): 0.8507 of 1,996 sentences, 0.9654 of 664 three-sentence
# documents; both meet the targets (0.85, 0.95), which the figures recorded in the
# shipped model must show. The recomputed sentence floor is a little lower so that another
# machine's gettext catalogues (extra training pairs) do not fail it by a sentence or two.
TARGET_SENTENCES, TARGET_DOCUMENTS = 0.85, 0.95
SENTENCE_FLOOR, DOCUMENT_FLOOR = 0.845, 0.95


@pytest.fixture(scope="module")
def scorer():
    return VariantScorer()


@pytest.fixture(scope="module")
def ntrex():
    br = shared_path("parallel", "ntrex128.dev.pt-BR").read_text(encoding="utf-8").splitlines()
    pt = shared_path("parallel", "ntrex128.dev.pt-PT").read_text(encoding="utf-8").splitlines()
    return br, pt


def test_cross_validated_accuracy_floor(ntrex):
    """Each of 10 contiguous blocks of NTREX lines is scored by a model fitted, as the shipped
    one is (smoothing chosen by inner cross-validation), on the other 9 blocks plus this
    machine's gettext pairs: no line is scored by a model that saw it."""
    extra = variant_fit.gettext_pairs()
    cv = variant_fit.cross_validate(variant_fit.Featurized(*ntrex, extra), k=10)
    assert cv["sentences"] == 1996
    assert cv["sentence_accuracy"] >= SENTENCE_FLOOR
    assert cv["document_accuracy"] >= DOCUMENT_FLOOR
    model = json.loads(default_model_path().read_text(encoding="utf-8"))
    assert model["trained_on"].startswith("ntrex128.dev lines 1-998")
    assert model["eval"]["cv10"]["sentence_accuracy"] >= TARGET_SENTENCES
    assert model["eval"]["cv10"]["document_accuracy"] >= TARGET_DOCUMENTS
    if f"+ {len(extra)} gettext" in model["trained_on"]:  # same catalogues as when it was fitted
        assert model["eval"]["cv10"] == cv, "corpus/data/variant_model.json is stale: python bench/variant_eval.py --fit"


def test_shipped_weights_are_the_fit_on_all_lines(ntrex):
    """The shipped JSON decides every NTREX line as a fresh fit on all 998 lines does (when
    this machine has the same gettext catalogues as the one that fitted it)."""
    model = json.loads(default_model_path().read_text(encoding="utf-8"))
    extra = variant_fit.gettext_pairs()
    if f"+ {len(extra)} gettext" not in model["trained_on"]:
        pytest.skip(f"this machine has {len(extra)} gettext pairs; the model was fitted with other catalogues")
    data = variant_fit.Featurized(*ntrex, extra)
    fitted = variant_fit.fit(data, np.arange(998))
    bias, weights = variant_fit.export(fitted, data)
    assert bias == model["bias"] and weights == model["weights"]


def test_sparse_rows_agree_with_dense_sums():
    vocab: dict[str, int] = {}
    rows = variant_fit._rows(["A equipa joga.", "", "O time joga, joga."], variant.features, vocab)
    dense = np.zeros((3, len(vocab)))
    for i, t in enumerate(["A equipa joga.", "", "O time joga, joga."]):
        for f, n in variant.features(t).items():
            dense[i, vocab[f]] += n
    w = np.arange(len(vocab), dtype=float) - 3.0
    assert np.allclose(rows.scores(w), dense @ w)
    assert np.allclose(rows.counts(np.array([0, 2]), len(vocab), 0.5), 0.5 * (dense[0] + dense[2]))


def test_char_family_model_is_scored_with_char_features(ntrex, tmp_path):
    """The opt-in character n-gram family (bench/variant_eval.py --chars): a model written with
    it is scored by VariantScorer exactly as the fitted model scores."""
    br, pt = ntrex
    data = variant_fit.Featurized(br[:200], pt[:200], families=("words", "chars"))
    fitted = variant_fit.fit(data, np.arange(150))
    bias, weights = variant_fit.export(fitted, data)
    assert any(k.startswith("c:") for k in weights)
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"bias": bias, "weights": weights}), encoding="utf-8")
    s = VariantScorer(path)
    zb, zp = fitted.logits(data, np.arange(150, 200))
    assert max(abs(s.logit(t) - z) for t, z in zip(br[150:200] + pt[150:200], list(zb) + list(zp))) < 0.05


@pytest.mark.parametrize("european, brazilian", [
    ("Guarda o leite no frigorífico.", "Guarda o leite na geladeira."),
    ("A equipa ganhou o jogo.", "A equipe ganhou o jogo."),
    ("Apanhei o autocarro para o centro.", "Peguei o ônibus para o centro."),
    ("O homem está a fazer o jantar.", "O homem está fazendo o jantar."),
    ("De facto, o telemóvel tem um ecrã grande.", "De fato, o celular tem uma tela grande."),
    ("O utilizador regista o ficheiro.", "O usuário registra o arquivo."),
    ("Diga-me o que vê na imagem.", "Me diga o que você vê na imagem."),
    ("O crescimento económico foi fenomenal.", "O crescimento econômico foi fenomenal."),
    ("O aspeto do edifício mudou.", "O aspecto do edifício mudou."),
    ("Toda a gente sabe que ele pode tornar-se campeão.", "Todo mundo sabe que ele pode se tornar campeão."),
    ("Podes ver o golo no ecrã?", "Você pode ver o gol na tela?"),
    ("A estátua é do século XIX.", "A estátua é do século 19."),
    ("Os reclusos continuam a protestar.", "Os detentos continuam protestando."),
    ("Uma rapariga anda de trotinete ao lado de uma mota.", "Uma garota anda de patinete ao lado de uma motocicleta."),
])
def test_european_leaks_score_lower_than_brazilian(scorer, european, brazilian):
    assert scorer.prob(european) < 0.5 < scorer.prob(brazilian)


def test_markers_name_the_european_forms():
    found = markers("A equipa está a jogar no relvado e de facto ganhou.")
    assert {"equipa", "está a jogar", "relvado"} <= set(found)
    found = markers("Nomeadamente, os adeptos continuam a cantar no Médio Oriente.")
    assert {"nomeadamente", "continuam a cantar", "médio oriente"} <= set(found)


def test_record_evidence_adds_up_over_turns(scorer):
    one = scorer.prob("O autocarro chegou.")
    both, per_turn = scorer.prob_many(["O autocarro chegou.", "A equipa entrou no comboio."])
    assert len(per_turn) == 2 and both < one


def test_reason_variant_not_target_and_pass():
    f = VariantFilter(variant="pt-BR", min_score=0.2)
    pt = Record.from_dict(rec("pt", "<image>\nO que está a acontecer?", "A equipa está a jogar no relvado, "
                                                                       "e o treinador fala ao telemóvel."))
    reason, detail = f.check(pt)
    assert reason == "variant_not_target" and "equipa" in detail
    assert pt.meta["variant_ptbr"] < 0.2 and len(pt.meta["turn_variant"]) == 2
    br = Record.from_dict(rec("br", "<image>\nO que está acontecendo?", "O time está jogando no gramado, "
                                                                       "e o técnico fala no celular."))
    assert f.check(br) is None and br.meta["variant_ptbr"] > 0.5
    assert VariantFilter(variant="pt-PT", min_score=0.5).check(br)[0] == "variant_not_target"


def test_fit_never_reads_the_lines_it_is_not_given(ntrex):
    """No leakage into the cross-validated figure: the model fitted on lines 0-299 (smoothing
    choice and calibration included) is the same whatever lines 300-399 say."""
    br, pt = ntrex
    a = variant_fit.Featurized(br[:400], pt[:400])
    b = variant_fit.Featurized(br[:300] + pt[300:400], pt[:300] + ["Xyz qwerty zzz."] * 100)
    ma, mb = variant_fit.fit(a, np.arange(300)), variant_fit.fit(b, np.arange(300))
    assert ma.alpha == mb.alpha
    assert variant_fit.export(ma, a) == variant_fit.export(mb, b)



def test_threshold_is_compared_with_the_recorded_score():
    """A user who reads variant_ptbr in meta and passes it as --min-variant-score keeps that
    record, and a threshold one step (1e-4) higher drops it: the 4-place score shown decides."""
    r = rec("t", "<image>\nO que está acontecendo?", "Um homem conversa com a equipa no ônibus.")
    probe = Record.from_dict(r)
    assert VariantFilter(min_score=0.0).check(probe) is None
    score = probe.meta["variant_ptbr"]
    assert 0.0 < score < 1.0
    assert VariantFilter(min_score=score).check(Record.from_dict(r)) is None
    reason, detail = VariantFilter(min_score=score + 1e-4).check(Record.from_dict(r))
    assert reason == "variant_not_target" and f"= {score:.4f} <" in detail
    assert VariantFilter(variant="pt-PT", min_score=round(1 - score, 4)).check(Record.from_dict(r)) is None


def test_turn_floor_works_for_either_target():
    """For pt-PT the floor is on P(pt-PT) of each turn: a Brazilian turn in a European record."""
    pt_long = "A equipa está a jogar no relvado, e o treinador fala ao telemóvel com o guarda-redes do clube."
    r = Record.from_dict(rec("x", "<image>\nO que se passa?", pt_long))
    r.turns.append(Turn("human", "E depois?"))
    r.turns.append(Turn("gpt", "O time está jogando no gramado e o técnico fala no celular com o goleiro."))
    f = VariantFilter(variant="pt-PT", min_score=0.0, min_turn_score=0.01)
    reason, detail = f.check(r)
    assert reason == "variant_not_target" and detail.startswith("turn 3: P(pt-PT) = ")
    assert VariantFilter(variant="pt-PT", min_score=0.0, min_turn_score=0).check(r) is None
