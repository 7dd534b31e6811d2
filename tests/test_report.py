"""`corpus report`: real DuckDB + matplotlib, and the HTML opened in headless Chromium.

The browser test uses Debian's `chromium` (installed by .ci/run) and skips with
a reason when it is absent. It loads a copy of the report with a probe script
that writes each <img>'s decoded size into the DOM, dumped by --dump-dom.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from io import BytesIO

import pytest
from PIL import Image
from typer.testing import CliRunner

from corpus.cli import app
from corpus.record import Record
from corpus.rejects import Rejects
from corpus.report import build_report
from corpus.stats import corpus_stats

from conftest import EXAMPLES, rec, shared_path, write_json
from test_query import rich_records

runner = CliRunner()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = """<script>window.addEventListener('load', function () {
  var r = [];
  document.querySelectorAll('img').forEach(function (i) {
    r.push({alt: i.alt, w: i.naturalWidth, h: i.naturalHeight, complete: i.complete});
  });
  var p = document.createElement('pre'); p.id = 'probe'; p.textContent = JSON.stringify(r);
  document.body.appendChild(p);
});</script>"""


@pytest.fixture
def inputs(tmp_path):
    corpus = write_json(tmp_path / "rich.json", rich_records())
    rejects = tmp_path / "rejects.jsonl"
    with Rejects(rejects) as rj:
        rj.add(Record.from_dict(rec("x1")), "lang_not_target", stage="langid")
        rj.add(Record.from_dict(rec("x2")), "lang_not_target", stage="langid")
        rj.add(Record.from_dict(rec("x3")), "placeholder_missing", stage="checks")
    stats = write_json(tmp_path / "translate.stats.json", {
        "command": "translate", "input": "en.json", "output": "rich.json", "records_in": 8, "records_out": 5,
        "rejected": 3, "rejected_by_reason": {"engine_failed": 3}, "seconds": 12.5,
        "segments_total": 40, "segments_unique": 22, "memory_hits": 18, "engine_calls": 22})
    return corpus, rejects, stats


def images(html: str) -> list[bytes]:
    import base64

    return [base64.b64decode(m) for m in re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)]


def test_full_report_has_every_plot_inline(tmp_path, inputs):
    corpus, rejects, stats = inputs
    rep = build_report(corpus, tmp_path / "report.html", rejects=rejects, stats=[stats])
    html = (tmp_path / "report.html").read_text()
    assert [s.key for s in rep.figures] == ["turn_lengths", "turns_per_record", "lang_score", "variant_ptbr",
                                            "rejects", "translation_memory"]
    pngs = images(html)
    assert len(pngs) == 6 and all(Image.open(BytesIO(p)).size[0] > 300 for p in pngs)
    # self-contained: no link, script or image from anywhere else
    assert not re.search(r"(src|href)=['\"](?!data:|#)", html) and "http" not in html.replace("http-equiv", "")
    sec = {s.key: s for s in rep.sections}
    assert sec["turn_lengths"].title == "Turn lengths: source vs pt-BR"
    assert [r[:2] for r in sec["rejects"].rows] == [["lang_not_target", 2], ["placeholder_missing", 1]]
    assert sec["translation_memory"].rows[0][1:] == [40, 22, 18, 22, 45.0]
    assert sec["lang_labels"].rows[0][:2] == ["pt", 4]
    assert sec["pipeline"].rows[0][1:] == ["translate", 8, 5, 3, 12.5]
    assert sum(r[1] for r in sec["lang_score"].rows) == 5


def test_sections_without_data_are_omitted_with_a_reason(tmp_path):
    rep = build_report(EXAMPLES / "llava_tiny.json", tmp_path / "r.html")
    omitted = {s.key: s.omitted for s in rep.sections if s.omitted}
    assert set(omitted) == {"lang_score", "variant_ptbr", "rejects", "translation_memory", "pipeline"}
    assert "meta.lang_score" in omitted["lang_score"] and "--rejects" in omitted["rejects"]
    html = (tmp_path / "r.html").read_text()
    assert len(images(html)) == 2 and html.count("Omitted:") == 5
    lengths = {s.key: s for s in rep.sections}["turn_lengths"]
    assert [r[:2] for r in lengths.rows] == [["gpt", "4"], ["human", "4"]]


def test_rejects_fall_back_on_stats_counts(tmp_path, inputs):
    corpus, _, stats = inputs
    rep = build_report(corpus, tmp_path / "r.html", stats=[stats])
    sec = {s.key: s for s in rep.sections}["rejects"]
    assert sec.rows == [["engine_failed", 3, 100.0]] and "stats" in sec.note and sec.png


def test_markdown_writes_pngs_it_links(tmp_path, inputs):
    corpus, rejects, stats = inputs
    res = runner.invoke(app, ["report", str(corpus), "--rejects", str(rejects), "--stats", str(stats),
                              "-o", str(tmp_path / "card" / "quality.html"), "--markdown"])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "card" / "quality.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(links) == 6
    for link in links:
        assert Image.open(tmp_path / "card" / link).format == "PNG"
    assert "| lang_not_target | 2 |" in md and "&lt;image> placeholders" in md


def test_bad_stats_file_is_one_line_exit_2(tmp_path, inputs):
    corpus, _, _ = inputs
    bad = tmp_path / "bad.stats.json"
    bad.write_text("{not json")
    res = runner.invoke(app, ["report", str(corpus), "--stats", str(bad), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2 and str(bad) in res.output and res.output.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


def render_in_chromium(html_path, tmp_path) -> list[dict]:
    if not CHROMIUM:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    probe = tmp_path / "probe.html"
    probe.write_text(html_path.read_text().replace("</body>", PROBE + "</body>"))
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                          capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert m, f"chromium gave no probe output: {done.stderr[-500:]}"
    import html

    return json.loads(html.unescape(m.group(1)))


def test_every_plot_renders_in_headless_chromium(tmp_path, inputs):
    corpus, rejects, stats = inputs
    out = tmp_path / "report.html"
    rep = build_report(corpus, out, rejects=rejects, stats=[stats])
    shown = render_in_chromium(out, tmp_path)
    assert [i["alt"] for i in shown] == [s.title for s in rep.figures]
    assert all(i["complete"] and i["w"] > 0 and i["h"] > 0 for i in shown), shown


@pytest.mark.shared
def test_report_on_real_data_renders_and_counts_right(tmp_path):
    path = shared_path("llava", "llava_instruct_sample50.json")
    out = tmp_path / "instruct.html"
    rep = build_report(path, out)
    s = corpus_stats(path)
    sec = {x.key: x for x in rep.sections}
    assert {r[0]: int(r[1].replace(",", "")) for r in sec["turn_lengths"].rows} == s["turns_by_role"]
    assert sum(r[1] for r in sec["turns_per_record"].rows) == s["records"]
    shown = render_in_chromium(out, tmp_path)
    assert len(shown) == 2 and all(i["w"] > 0 for i in shown)


def test_report_output_must_be_html_or_markdown(tmp_path):
    """Found in stop 14: -o report.txt wrote HTML into a .txt file."""
    src = tmp_path / "in.json"
    src.write_text(json.dumps([{"id": "a", "conversations": [{"from": "human", "value": "Oi?"},
                                                             {"from": "gpt", "value": "Olá."}]}]))
    r = CliRunner().invoke(app, ["report", str(src), "-o", str(tmp_path / "r.txt")])
    assert r.exit_code == 2 and "r.txt: the report is .html" in r.output
    assert not (tmp_path / "r.txt").exists()
