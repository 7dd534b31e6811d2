"""pt-BR vs pt-PT: a probability that a Portuguese text is Brazilian.

lid.176 has a single ``pt`` label, and MT engines leak European forms
(``equipa``, ``autocarro``, ``estão a sugerir``, ``facto``, ``económico``,
``diga-me``). This scorer is the project's own: a naive-Bayes log-ratio model over

* marker groups (``g:``), written by hand from knowledge of the two norms:
  lexical pairs (``equipa``/``equipe``, ``telemóvel``/``celular``,
  ``planear``/``planejar``, city names...), orthography (``ó``/``é`` against
  ``ô``/``ê`` before a nasal consonant and a vowel, pre-1990 mute consonants
  ``acção``/``actual``, ``-ámos``), syntax (``estar a`` + infinitive against
  ``estar`` + gerund, ``num``/``numa`` against ``em um``, ``ter de``/``ter que``,
  sentence-initial clitics ``Me diga``, hyphenated enclisis, article before a
  possessive ``a sua``), typography (``380 000``, guillemets);
* words (``w:``), word bigrams (``b:``) and 3-letter endings (``s:``), counted
  once per text so that style evidence does not grow with answer length.

A text's logit is bias + the sum of its features' weights, so evidence adds
up: a 3-sentence document, or a record's turns, are scored by adding their
evidence (`prob_many`).

How the weights in ``corpus/data/variant_model.json`` were derived
(``python bench/variant_eval.py --fit`` reproduces them; numpy only):
multinomial naive-Bayes log-ratios (add-1 smoothing, features seen >= 2 times)
fitted on NTREX-128 dev lines 1-499 (``ntrex128.dev.pt-BR`` = 1, ``.pt-PT`` = 0)
plus 13,575 pairs of pt_BR/pt gettext translations of the same UI messages found
in this machine's ``/usr/share/locale`` (gtk, coreutils, apt..., weight 0.05
each: a different domain, a little help). Then Platt-scaled on 2-fold
out-of-fold scores inside lines 1-499. The marker lists were written looking
only at lines 1-499. Lines 500-998 are never seen in fitting.

Accuracy at P = 0.5 (``python bench/variant_eval.py``):

=====================================  =========  ====================
fitted on -> evaluated on              sentences  3-sentence documents
=====================================  =========  ====================
lines 1-499 -> 500-998 (shipped)       0.768      0.892
lines 500-998 -> 1-499 (swap check)    0.796      0.925
=====================================  =========  ====================

Below the issue's targets (0.85 / 0.95): many NTREX pairs differ only in the two
translators' style, which 499 training pairs cannot teach (250 -> 499 pairs
gained 2 points). Measured and not better, same split: logistic regression on
the same features (0.77-0.79), character 1-5-gram naive Bayes (0.70), words in
only one of Debian's ``wbrazilian``/``wportuguese`` word lists as features
(+0.00), multilingual-e5 sentence embeddings + logistic regression (0.60);
adding 14,179 LibreOffice help paragraph pairs (``--libreoffice-help``) gave
0.788 / 0.907 but made help-text imperatives (``Escreva``, ``Apresenta``) pt-PT
markers: Bergamot-translated LLaVA-Pretrain records below P = 0.1 went from 35
to 177 of 2,180, so those weights are not shipped. The markers themselves are
reliable (see tests/test_variant.py); neutral text drifts around 0.5, so filter
thresholds are set low (recipes/*.yaml).

Example:
    >>> s = VariantScorer()
    >>> s.prob("A equipa está a jogar no relvado.") < 0.5 < s.prob("O time está jogando no gramado.")
    True
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

WORD = re.compile(r"[a-zà-öø-ÿ]+(?:-[a-zà-öø-ÿ]+)*")

# --- lexical markers (whole lowercase tokens) -------------------------------
PT_WORDS = """
equipa equipas autocarro autocarros comboio comboios telemóvel telemóveis ecrã ecrãs utilizador utilizadores
utilizadora utilizadoras frigorífico frigoríficos pequeno-almoço rapariga raparigas miúdo miúdos miúda miúdas
sumo sumos guarda-redes golo golos relvado relvados montra montras camisola camisolas portagem portagens
ficheiro ficheiros registo registos registar registou registaram registado registada registados registadas
regista registam facto factos contacto contactos contactar contactou contacte contactem receção receções
conceção perceção deceção secção secções moscovo teerão vietname iorque polónia quénia arménia macedónia
macedónio macedónios estugarda amesterdão ananás moradia geminada íman copenhaga roménia eslovénia cancro aluguer desporto desportos
desportivo desportiva desportivos desportivas desportista canalizador talho rebuçado fiambre travão guiador
rés-do-chão cimeira morada ementa propinas infantário constipação autarquia autarquias autárquico autárquicas
autárquicos concelho concelhos freguesia freguesias reformado reformada reformados reformadas sondagem
sondagens planear planeamento planeado planeada planeados planeia planeiam controlo controlos recolha
carrinha carrinhas esquadra arguido arguida arguidos arguidas humidade húmido húmida connosco dezasseis
dezassete dezanove bilião biliões apoiante apoiantes adepto adeptos baliza basquetebol voleibol andebol
avançado penálti chávena relva fixe bué camião camiões betão descarregar partilhar partilha partilhou
partilhado partilhada partilham aceder acedeu acede acedem palavra-passe definições premir
num numa nuns numas connosco convosco vós vosso vossa terramoto terramotos cheias aterrar aterragem aterrou
hospedeira ressaltos televisiva televisivas televisivo televisivos intercalares
""".split()
BR_WORDS = """
equipe equipes ônibus trem trens celular celulares usuário usuários usuária usuárias geladeira banheiro
banheiros moça moças garoto garota garotos garotas suco sucos goleiro goleiros gramado vitrine camiseta
camisetas pedágio pedágios registro registros registrar registrou registraram registrado registrada
registrados registradas registra registram contato contatos contatar contatou recepção concepção percepção
decepção seção seções moscou teerã vietnã york polônia quênia armênia macedônia macedônio macedônios
amsterdã copenhague romênia eslovênia câncer aluguel esporte esportes esportivo esportiva esportivos
esportivas encanador açougue sorvete cardápio garçom prefeito prefeita prefeitura prefeituras aposentado
aposentada aposentados aposentadas planejar planejamento planejado planejada planejados planeja planejam
controle controles treinamento coleta caminhonete delegacia quadrinhos umidade úmido úmida conosco dezesseis
dezessete dezenove bilhão bilhões torcedor torcedores torcedora torcedoras apoiador apoiadores basquete vôlei
handebol atacante pênalti caminhão caminhões compartilhar compartilha compartilhou compartilhado compartilhada
compartilham acessar acessou acessa acessam configurações pressione pressionar xícara metrô mídia mídias
você vocês terremoto terremotos enchente enchentes policial policiais câmera câmeras pousar pouso
pousou aeromoça rebotes registrava abacaxi ímã
""".split()
# Multi-word markers: one regex each side.
PT_PHRASES = re.compile(r"\b(?:casa de banho|casa-de-banho|banda desenhada|mil milhões|câmara municipal|"
                        r"presidente da câmara|se calhar|já agora|de certeza|passadeira|comunicação social|banda sonora|já não|"
                        r"(?:na|no) passad[oa]|(?:tem|tenho|têm|temos|teve|tiveram|tinha|tinham|ter|terá|terão) de)\b")
BR_PHRASES = re.compile(r"\b(?:café da manhã|história em quadrinhos|com certeza|em um|em uma|em uns|em umas|"
                        r"nova york|a gente|trilha sonora|depois que|por conta d[eoa]s?|"
                        r"(?:tem|tenho|têm|temos|teve|tiveram|tinha|tinham|ter|terá|terão) que|"
                        r"não (?:é|são|está|estão|era|eram|foi|tem|há|existe|pode|podem) mais)\b")

# --- orthography -------------------------------------------------------------
# ó/é before m/n and a vowel is European (económico, género, António, prémio);
# ô/ê there is Brazilian (econômico, gênero, Antônio, prêmio).
PT_ORTH = re.compile(r"[óé][mn][aeiouáéíóú]|\w+ámos\b|\b(?:acç|direcç|actua|exact|object|project|óptim|adopç|"
                     r"baptis|efectiv|colecç|electr|selecç|protecç|arquitect|director|reacç|correcç|afect|"
                     r"espectácul|facto\b)")
BR_ORTH = re.compile(r"[ôê][mn][aeiouáéíóú]")

# --- syntax ------------------------------------------------------------------
_ESTAR = (r"(?:estar|estou|estás|está|estamos|estão|estava|estavas|estávamos|estavam|esteve|estiveram|estive|"
          r"esteja|estejam|estivesse|estivessem|estará|estarão|estaria|estariam|anda|andam|andava|andavam)")
PT_PROG = re.compile(_ESTAR + r" a [a-zà-ÿ]+[aei]r\b")
BR_PROG = re.compile(r"\b(?:" + _ESTAR[3:-1] + r"|continua|continuam|continuou|vem|vinha|vinham|fica|ficou)"
                     r" [a-zà-ÿ]+ndo\b")
ENCLISIS = re.compile(r"\b[a-zà-ÿ]+-(?:se|me|te|lhe|lhes|nos|vos)\b")
# European Portuguese puts an article before a possessive ("a sua média"); Brazilian often
# drops it ("sua média"). Counted as (with article, all possessives).
POSS = re.compile(r"\b(?:meu|minha|meus|minhas|teu|tua|teus|tuas|seu|sua|seus|suas|nosso|nossa|nossos|nossas)\b")
ART_POSS = re.compile(r"\b(?:o|a|os|as|do|da|dos|das|no|na|nos|nas|ao|à|aos|às|pelo|pela|pelos|pelas|num|numa)"
                      r" (?:meu|minha|meus|minhas|teu|tua|teus|tuas|seu|sua|seus|suas|nosso|nossa|nossos|nossas)\b")
# "380 000" and «guillemets» are European typography; "380 mil" is common in Brazil.
PT_TYPO = re.compile(r"\d \d{3}\b|[«»]")
BR_PROCLISIS = re.compile(r"(?:^|[.!?:]\s+|\n)(?:Me|Te|Se|Lhe|Lhes|Nos) [a-zà-ÿ]")

_PT_SET = frozenset(PT_WORDS)
_BR_SET = frozenset(BR_WORDS)


def features(text: str) -> Counter:
    """Sparse count features of one text (what the model is fitted on)."""
    low = text.lower()
    c: Counter = Counter()
    words = WORD.findall(low)
    prev = "^"
    for w in words:
        # Words, bigrams and endings count once per text: style evidence such as the
        # article "a" must not grow with the length of an answer. Markers count each time.
        c["w:" + w] = 1
        c["b:" + prev + "_" + w] = 1
        prev = w
        if len(w) >= 5:
            c["s:" + w[-3:]] = 1
        if w in _PT_SET:
            c["g:pt_lex"] += 1
        elif w in _BR_SET:
            c["g:br_lex"] += 1
    for name, rx, src in (("g:pt_phrase", PT_PHRASES, low), ("g:br_phrase", BR_PHRASES, low),
                          ("g:pt_orth", PT_ORTH, low), ("g:br_orth", BR_ORTH, low),
                          ("g:pt_prog", PT_PROG, low), ("g:br_prog", BR_PROG, low),
                          ("g:enclisis", ENCLISIS, low), ("g:br_proclisis", BR_PROCLISIS, text),
                          ("g:pt_typo", PT_TYPO, text)):
        n = len(rx.findall(src))
        if n:
            c[name] += n
    poss = len(POSS.findall(low))
    if poss:
        art = len(ART_POSS.findall(low))
        if art:
            c["g:art_poss"] += art
        if poss > art:
            c["g:bare_poss"] += poss - art
    return c


def markers(text: str) -> list[str]:
    """The European markers found in a text, for reject details ("equipa", "estão a sugerir")."""
    low = text.lower()
    found = [w for w in WORD.findall(low) if w in _PT_SET]
    for rx in (PT_PHRASES, PT_PROG):
        found += [m.group(0) for m in rx.finditer(low)]
    found += [m.group(0) for m in PT_ORTH.finditer(low)]
    return list(dict.fromkeys(found))


def default_model_path() -> Path:
    return Path(str(files("corpus").joinpath("data/variant_model.json")))


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[float, dict[str, float]]:
    d = json.loads(Path(path).read_text(encoding="utf-8"))
    return float(d["bias"]), {k: float(v) for k, v in d["weights"].items()}


class VariantScorer:
    """P(pt-BR) for a text, a document or a record's turns."""

    def __init__(self, model_path: str | Path | None = None):
        self.bias, self.weights = _load(str(model_path or default_model_path()))

    def evidence(self, text: str) -> float:
        """Sum of feature weights, without the bias: adds up across texts."""
        w = self.weights
        return sum(w.get(f, 0.0) * n for f, n in features(text).items())

    def logit(self, text: str) -> float:
        return self.bias + self.evidence(text)

    def prob(self, text: str) -> float:
        return _sigmoid(self.logit(text))

    def prob_many(self, texts: list[str]) -> tuple[float, list[float]]:
        """(record probability, per-text probabilities): evidence adds up over the texts."""
        ev = [self.evidence(t) for t in texts]
        return _sigmoid(self.bias + sum(ev)), [_sigmoid(self.bias + e) for e in ev]


def _sigmoid(z: float) -> float:
    if z < -35:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))
