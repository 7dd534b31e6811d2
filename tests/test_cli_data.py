"""CLI: validate, stats, convert, exit codes, one-line errors, --debug, --help speed."""
from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from corpus.cli import app

from conftest import rec, write_json

runner = CliRunner()


def test_validate_ok_exit_0(tiny_json):
    r = runner.invoke(app, ["validate", str(tiny_json)])
    assert r.exit_code == 0, r.output
    assert "3 records, all valid" in r.output


def test_validate_findings_exit_1_with_table_and_report(tmp_path):
    p = write_json(tmp_path / "c.json", [rec("a"), rec("b", "O que é <imagem>?", "Um gato.")])
    report = tmp_path / "f.jsonl"
    r = runner.invoke(app, ["validate", str(p), "--report", str(report)])
    assert r.exit_code == 1
    assert "placeholder_mangled" in r.output and "placeholder_missing" in r.output
    rows = [json.loads(x) for x in report.read_text().splitlines()]
    assert {(x["id"], x["rule"]) for x in rows} == {("b", "placeholder_mangled"), ("b", "placeholder_missing")}


def test_unusable_input_exit_2_one_line(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{"id": 1}')
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 2
    assert r.output.strip() == (f"Error: {p} (line 1, offset 0): [not_a_list] a .json corpus must be a JSON list "
                                "of records (use .jsonl for one record per line)")
    assert "Traceback" not in r.output


def test_malformed_json_error_names_position(tmp_path):
    p = tmp_path / "trunc.json"
    p.write_text('[{"id": "a", "conversations": []},\n {"id": "b", "conv')
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 2
    line = r.output.strip()
    assert "\n" not in line and str(p) in line and "malformed_json" in line and "item 1" in line and "line 2" in line


def test_debug_shows_traceback(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text("nope")
    r = runner.invoke(app, ["--debug", "validate", str(p)])
    assert r.exit_code != 0 and r.exception is not None
    assert type(r.exception).__name__ == "UnusableInput"


def test_missing_file_exit_2(tmp_path):
    r = runner.invoke(app, ["stats", str(tmp_path / "nope.json")])
    assert r.exit_code == 2 and "no such file" in r.output


def test_stats_json(tiny_json):
    r = runner.invoke(app, ["stats", str(tiny_json), "--json"])
    assert r.exit_code == 0
    s = json.loads(r.output)
    assert s["records"] == 3 and s["text_only_records"] == 1 and s["placeholders"] == 2
    assert s["turns_by_role"] == {"human": 4, "gpt": 4}


def test_stats_table(tiny_json):
    r = runner.invoke(app, ["stats", str(tiny_json)])
    assert r.exit_code == 0 and "records_with_image" in r.output


def test_convert_round_trip_llava_messages_llava(tiny_json, tmp_path):
    msgs, back = tmp_path / "m.jsonl", tmp_path / "back.json"
    r = runner.invoke(app, ["convert", str(tiny_json), str(msgs), "--to", "messages"])
    assert r.exit_code == 0, r.output
    first = json.loads(msgs.read_text().splitlines()[0])
    assert first["images"] == ["images/kitchen.jpg"]
    assert first["messages"][0] == {"role": "user", "content": [
        {"type": "image"}, {"type": "text", "text": "What is the color of the refrigerator in the kitchen?"}]}
    assert first["messages"][1]["role"] == "assistant"
    r = runner.invoke(app, ["convert", str(msgs), str(back), "--to", "llava"])
    assert r.exit_code == 0, r.output
    assert json.loads(back.read_text()) == json.loads(tiny_json.read_text())


def test_convert_glued_image_round_trips(tmp_path):
    from corpus.convert import from_messages, to_messages
    from corpus.record import Record

    for value in ["<image>Describe.", "Describe.<image>", "Describe.\n<image>", "<image>"]:
        r = Record.from_dict(rec("a", value, "A."))
        assert from_messages(to_messages(r)).turns[0].value == value


def test_convert_bad_format_is_usage_error(tiny_json, tmp_path):
    r = runner.invoke(app, ["convert", str(tiny_json), str(tmp_path / "o.json"), "--to", "xml"])
    assert r.exit_code == 2 and "--to must be one of" in r.output


def test_help_is_fast_and_imports_nothing_heavy():
    code = ("import sys, time; t=time.time(); from corpus.cli import app; "
            "from typer.testing import CliRunner; r=CliRunner().invoke(app, ['--help']); "
            "heavy=[m for m in ('torch','transformers','argostranslate','duckdb','datasets','matplotlib','polars','pyarrow','PIL') if m in sys.modules]; "
            "print(heavy, r.exit_code)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[] 0", out.stdout + out.stderr


def test_python_m_corpus_works():
    out = subprocess.run([sys.executable, "-m", "corpus", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("corpus ")


def test_every_command_is_documented_with_an_example():
    import typer.main

    group = typer.main.get_command(app)
    assert group.commands
    for name, cmd in group.commands.items():
        assert cmd.help and "Example:" in cmd.help, f"`corpus {name}` --help lacks an Example: line"


def test_bracketed_help_text_survives_rich_markup():
    """Found in stop 14: rich read "[default: cc-by-nc-4.0]" and "[qe]" in option help as
    markup tags and dropped them; bracketed text must be escaped as "\\[" to be shown."""
    import re

    import typer.main

    for name, cmd in typer.main.get_command(app).commands.items():
        r = runner.invoke(app, [name, "--help"], terminal_width=400, env={"COLUMNS": "400"})
        shown = " ".join(r.output.replace("│", " ").split())
        for param in cmd.params:
            for bracketed in re.findall(r"\[[^\]]+\]", getattr(param, "help", None) or ""):
                text = " ".join(bracketed.replace("\\[", "[").split())
                assert text in shown, f"`corpus {name} --help` drops {text!r} from {param.name}'s help"


def test_lost_records_are_a_named_error_not_a_stripped_assert():
    import pytest

    from corpus.errors import InvariantBroken, check_counts

    ok = {"records_in": 5, "records_out": 3, "rejected": 2}
    assert check_counts(ok) is ok
    with pytest.raises(InvariantBroken, match="4 written \\+ 0 rejected != 5 read") as ei:
        check_counts({"records_in": 5, "records_out": 4, "rejected": 0, "input": "x.json"})
    assert str(ei.value).startswith("x.json:") and ei.value.exit_code == 2
