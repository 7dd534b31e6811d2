"""The hand-written pt-PT / pt-BR marker lists that `corpus.variant` counts as feature groups.

Written from knowledge of the two norms (not learned): lexical pairs, post- and
pre-1990 orthography, syntax (progressive, clitic placement, articles before
possessives) and typography. Each list feeds one ``g:`` feature group, whose weight
is fitted (bench/variant_eval.py); a word in a list also keeps its own ``w:`` feature.
The ``*2`` lists were added in stop 12: vocabulary of news, sport, school, health,
technology and daily life, post-1990 spellings that still differ (``aspeto``/``aspecto``,
``receção``/``recepção``), tu verb forms, ``todo mundo``/``toda a gente``, modal + clitic
+ infinitive without a hyphen (``pode se tornar``), ``anos atrás``, ``US$``.
"""
from __future__ import annotations

import re

# --- lexical markers (whole lowercase tokens) -------------------------------
PT_WORDS = """
equipa equipas autocarro autocarros comboio comboios telemóvel telemóveis ecrã ecrãs utilizador utilizadores
utilizadora utilizadoras frigorífico frigoríficos pequeno-almoço rapariga raparigas miúdo miúdos miúda miúdas
sumo sumos guarda-redes golo golos relvado relvados montra montras camisola camisolas portagem portagens
ficheiro ficheiros registo registos registar registou registaram registado registada registados registadas
regista registam facto factos contacto contactos contactar contactou contacte contactem receção receções
conceção perceção deceção secção secções moscovo teerão vietname iorque polónia quénia arménia macedónia
macedónio macedónios estugarda amesterdão ananás geminada íman copenhaga roménia eslovénia cancro aluguer desporto desportos
desportivo desportiva desportivos desportivas desportista canalizador talho rebuçado fiambre travão guiador
rés-do-chão cimeira morada ementa propinas infantário constipação autarquia autarquias autárquico autárquicas
autárquicos concelho concelhos freguesia freguesias reformado reformada reformados reformadas sondagem
sondagens planear planeamento planeado planeada planeados planeia planeiam controlo controlos recolha
carrinha carrinhas esquadra arguido arguida arguidos arguidas humidade húmido húmida connosco dezasseis
dezassete dezanove bilião biliões apoiante apoiantes adepto adeptos baliza basquetebol voleibol andebol
avançado penálti chávena relva fixe bué camião camiões betão descarregar partilhar partilha partilhou
partilhado partilhada partilham aceder acedeu acede acedem palavra-passe definições premir
num numa nuns numas connosco convosco vós vosso vossa cheias aterrar aterragem aterrou
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
você vocês enchente enchentes policial policiais câmera câmeras pousar pouso
pousou aeromoça rebotes registrava abacaxi ímã
""".split()
# Multi-word markers: one regex each side.
PT_PHRASES = re.compile(r"\b(?:casa de banho|casa-de-banho|banda desenhada|mil milhões|câmara municipal|"
                        r"presidente da câmara|se calhar|já agora|de certeza|passadeira|comunicação social|banda sonora|já não|"
                        r"(?:na|no) passad[oa]|(?:tem|tenho|têm|temos|teve|tiveram|tinha|tinham|ter|terá|terão) de)\b")
BR_PHRASES = re.compile(r"\b(?:café da manhã|história em quadrinhos|com certeza|em um|em uma|em uns|em umas|"
                        r"nova york|(?<!toda )a gente|trilha sonora|depois que|por conta d[eoa]s?|"
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
_ESTAR = (r"(?:estar|estado|estou|estás|está|estamos|estão|estava|estavas|estávamos|estavam|esteve|estiveram|estive|"
          r"esteja|estejam|estivesse|estivessem|estará|estarão|estaria|estariam|anda|andam|andava|andavam)")
PT_PROG = re.compile(_ESTAR + r" (?:(?:só|ainda|já|sempre|também|agora|apenas|mesmo) )?a [a-zà-ÿ]+[aei]r\b")
BR_PROG = re.compile(r"\b(?:" + _ESTAR[3:-1] + r"|continua|continuam|continuou|continuaram|continuava|continuavam|segue|seguem|seguiu|seguiram|"
                     r"acabou|acabaram|ficaram|ficava|ficavam|vive|vivem|passou|passaram|saiu|saíram|vem|vinha|vinham|fica|ficou)"
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

PT_SET = frozenset(PT_WORDS)
BR_SET = frozenset(BR_WORDS)

# --- more markers (stop 12) ----------------------------------------------------
PT_WORDS2 = """
nomeadamente designadamente aquando percentagem percentagens ronda
 plantel selecionador selecionadores convocatória
sida adn nato islão caraíbas nairobi gronelândia havai zimbabué camberra
boleia paragem paragens bilheteira bilheteiras duche duches sapatilhas peúgas natas esquentador cave sanita
autoestrada autoestradas magoar magoou magoado magoada percebes apanhar apanhou apanhado apanhei apanha
podes tens queres sabes vais és fazes dizes consegues precisas gostas achas vês contigo
demasiado demasiada demasiados demasiadas
aspeto aspetos perspetiva perspetivas respetivo respetiva respetivos respetivas respetivamente espetador espetadores
espetadora infeção infeções infecioso infeciosa detetar detetou detetado detetada detetados excecional excecionais
caraterística caraterísticas fação fações anticoncecional concecionário
cancros bebé bebés puré croché guiché fato-de-banho defesa-central presidente-executivo faturação
porreiro gajo gajos autarca autarcas sandes coima recluso reclusos abreviatura
calções lava-loiça loiça loiças candeeiro candeeiros alcatifa esplanada esplanadas tosta tostas queque queques mota motas
motociclo motociclos trotinete trotinetes autocaravana baloiço baloiços râguebi
""".split()
BR_WORDS2 = """
fato fatos inclusive porcentagem porcentagens gol gols placar placares rodada rodadas zagueiro zagueiros
torcida torcidas artilheiro escalação escalações otan
aids dna islã caribe nairóbi groenlândia havaí zimbábue
carona caronas bilheteria bilheterias calcinha maiô chiclete lanchonete lanchonetes
porão rodovia rodovias pedestre pedestres 
aplicativo aplicativos notebook notebooks mouse tela telas
machucar machucou machucado machucada pegar pegou pegando peguei frear freou
aspecto aspectos perspectiva perspectivas respectivo respectiva respectivos respectivas respectivamente espectador espectadores
espectadora infecção infecções infeccioso infecciosa detectar detectou detectado detectada detectados excepcional excepcionais
facção facções anticoncepcional concessionária faturamento
bebê bebês purê crochê papai mamãe cachorro cachorros bonde bondes moleque moleques grana
gerenciar gerenciamento gerenciou gerencia checar checou deletar resfriado maconha vestibular 
detento detentos abreviação socorrista socorristas presidenciável
 motocicleta motocicletas patinete patinetes parquinho escorregador rúgbi surfe
cachorro-quente cachorros-quentes
""".split()
PT_PHRASES2 = re.compile(r"\b(?:médio oriente|supremo tribunal|carta de condução|pai natal|"
                         r"taça do mundo|parque de estacionamento|quarto de banho|fato de banho|"
                         r"(?:o|um|os|uns|dois|três|do|dos|pelo|pelos|ao|aos) polícias?|de resto|"
                         r"como é que|o que é que|relativamente a|há bocado|ao pé d|mesmo a tempo|"
                         r"(?:vir|veio|vieram|viria|virá|vem) a (?:ser|ter|fazer|tornar|acontecer)|"
                         r"continu\w* a [a-zà-ÿ]+[aei]r|acab\w* por [a-zà-ÿ]+[aei]r|referi(?:u|ram|ndo) que|(?:a|uma|da|na|pela) personagem|"
                         r"(?:ouvi|ouviu|ouviram|vi|viu|viram|vimos|encontrou|encontraram) (?:[a-zà-ÿ]+ ){1,3}a [a-zà-ÿ]+[aei]r|toda a gente|de momento|em direto|ensino secundário|ensino básico|"
                         r"(?:de|em) (?:o|a|os|as|ele|ela|eles|elas|este|esta|estes|estas|esse|essa|esses|essas))\b")
BR_PHRASES2 = re.compile(r"\b(?:oriente médio|suprema corte|carteira de motorista|papai noel|"
                         r"copa do mundo|(?:o|do|no|pelo|ao|um|seu|meu|nosso|novo|próprio) time|"
                         r"(?:anos|meses|dias|semanas|horas|minutos|décadas|séculos) atrás|"
                         r"ao invés de|(?:o|um|do|no|pelo|ao) personagem|século \d|tropa de choque|brincar de|na sua frente|todo mundo|todo dia|toda semana|toda vez|ensino médio|ensino fundamental|posto de saúde|imposto de renda|eleições intermediárias|de meio de mandato|\d+ x \d+|"
                         r"(?:eu|ele|ela|eles|elas|você|vocês|nós|isso|isto|a gente) (?:se|me|te|nos|lhe|lhes) [a-zà-ÿ]+|"
                         r"(?:pode|podem|podia|poderia|poderiam|vai|vão|ia|iam|deve|devem|deveria|quer|querem|"
                         r"precisa|precisam|consegue|conseguem|tenta|tentou|começou a|acabou) "
                         r"(?:se|me|te|nos|lhe|lhes) [a-zà-ÿ]+r)\b")
BR_MONEY = re.compile(r"(?:US|R)\$")
PT_CLITIC_INF = re.compile(r"\b[a-zà-ÿ]+[aeiu]r-(?:se|me|te|lhe|lhes|nos|vos)\b|\b[a-zà-ÿ]+[áéêí]-l[oa]s?\b")
BR_H = re.compile(r"\b\d{1,2}h(?:\d\d)?\b")

PT_SET2 = frozenset(PT_WORDS2)
BR_SET2 = frozenset(BR_WORDS2)

# --- more markers (stop 13) ----------------------------------------------------
# Written from knowledge of the two norms before being measured (none was picked by
# reading NTREX sentences): news verbs (``sublinhou``/``ressaltou``), traffic
# (``condutor``, ``rotunda``/``rotatória``, ``berma``/``acostamento``), work and housing
# (``despedimento``, ``arrendar``, ``fumador``/``fumante``, ``utente``), health
# (``infetado``/``infectado``, ``cuidados intensivos``/``UTI``), sport (``remate``/``chute``,
# ``ponta de lança``/``centroavante``, ``claque``, ``escanteio``), spellings that still
# differ (``carácter``/``caráter``, ``indemnização``/``indenização``, ``amnistia``/``anistia``,
# ``tacto``/``tato``, ``súbdito``/``súdito``), pre-1990 European spellings (``sector``,
# ``actor``, ``excepção``, ``Egipto``), regency (``chegar em``, ``assistir o jogo``), ``faz dois
# anos``/``ao fim de dois anos``, ``tendo em conta``/``levando em conta``, ``na altura``/``na
# época``, ``nesta segunda-feira`` (Brazilian news), and month names capitalised mid-sentence
# (the pre-1990 European habit).
PT_WORDS3 = """
sector sectores sectorial condutor condutores condutora condutoras rotunda rotundas berma bermas gasóleo
claque claques rastreio rastreios monitorização infetado infetados infetada infetadas infetar infetou
sublinhou sublinha sublinhar frisou frisa adiantou apelido apelidos autocolante autocolantes agrafador
esferográfica congelador prenda prendas bocado bocadinho despedimento despedimentos despedido despedidos
pensionistas arrendar arrendamento arrendado arrendada arrendou senhorio senhorios fumador fumadores
utente utentes hipermercado hipermercados multibanco guião guiões realizador realizadores realizadora
actor actores actriz actrizes acto actos excepção excepções egipto egípcio egípcios óptica óptico carácter
tacto súbdito súbditos amnistia indemnização indemnizações indemnizar indemnizado omnipresente omnipotente
remate remates rematou rematar lancil cá catorze cuecas liceu
""".split()
BR_WORDS3 = """
rotatória rotatórias acostamento centroavante ressaltou ressalta sobrenome sobrenomes grampeador freezer
pra né tá cadê tchau bacana infectado infectados infectada infectadas infectar infectou monitoramento
rastreamento testagem temporada temporadas escanteio escanteios chute chutes chutou chutar golaço
meio-fio ingresso ingressos cadastro cadastros cadastrar cadastrou cadastrado cadastrada planilha planilhas
senha senhas arquivo arquivos moletom caráter tato súdito súditos anistia indenização indenizações
indenizar indenizado onipresente onipotente quatorze shopping
""".split()
PT_PHRASES3 = re.compile(r"\b(?:cuidados intensivos|bomba de gasolina|ponta de lança|subsídio de desemprego|"
                         r"(?:tendo|ter|tem|têm|tiver|tenha|teve) em conta|na altura em que|naquela altura|nessa altura|"
                         r"folha de cálculo|centros? comercia(?:l|is)|câmaras? (?:fotográficas?|de vigilância|de vídeo|digita(?:l|is))|"
                         r"deit\w+ fora|de milhar|ao fim de (?:\d+|um|uma|dois|duas|três|alguns|algumas|vários|várias|pouco|muito))\b")
BR_PHRASES3 = re.compile(r"\b(?:posto de gasolina|seguro-desemprego|"
                         r"(?:levando|levar|leva|levam|levou|levaram|levasse|leve) em conta|naquela época|na época em que|"
                         r"vaso sanitário|jog\w+ fora|enquanto isso|"
                         r"nest[ae] (?:segunda|terça|quarta|quinta|sexta)(?:-feira)?|nest[ae] (?:sábado|domingo)|"
                         r"cheg(?:ar|ou|aram|a|am|ando|ue|uem|aria|ará) em|assist\w+ (?:o|os) (?:jogo|jogos|filme|filmes|programa|vídeo|vídeos)|"
                         r"faz (?:\d+|um|uma|dois|duas|três|alguns|algumas|vários|várias|muitos|muitas|pouco|poucos|poucas) "
                         r"(?:anos?|meses|mês|dias?|semanas?|horas?|minutos?|décadas?|tempo))\b")
# Case-sensitive, one pass (`corpus.variant.features` sorts the matches): a month or
# "Governo" capitalised after a lowercase word or a comma is European, as are the
# Portuguese police/health acronyms; UTI and SUS are Brazilian.
CAPS = re.compile(r"\b(?:Janeiro|Fevereiro|Março|Abril|Junho|Julho|Agosto|Setembro|Outubro|Novembro|Dezembro|"
                  r"Governo|GNR|PSP|SNS|UTI|SUS)\b")
CAPS_PT_ACRONYMS, CAPS_BR_ACRONYMS = frozenset({"GNR", "PSP", "SNS"}), frozenset({"UTI", "SUS"})
AFTER_LOWER = re.compile(r"[a-zà-ÿ,] ")

# One pass each: the stop-13 phrases join the stop-12 ones in their feature group.
PT_PHRASES2 = re.compile(PT_PHRASES2.pattern + "|" + PT_PHRASES3.pattern)
BR_PHRASES2 = re.compile(BR_PHRASES2.pattern + "|" + BR_PHRASES3.pattern)
PT_SET2 = PT_SET2 | frozenset(PT_WORDS3)
BR_SET2 = BR_SET2 | frozenset(BR_WORDS3)
