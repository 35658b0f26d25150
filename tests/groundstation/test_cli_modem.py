"""`groundstation modem encode|decode` end to end, through the real entry point and direwolf."""

import json
import subprocess
import sys

import numpy as np
import pytest

from radios.wav import read_wav
from tests.conftest import REPO
from tests.radios.direwolf import atest, gen_packets

LINES = ["N0CALL-1>CQ:hello", "WB2OSZ-15>TEST,WIDE1-1*:<0xff><0x00>bytes", "KA1B>ID:plain text"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "groundstation", "modem", *args], cwd=REPO,
                          capture_output=True, text=True, check=False)


def test_encode_writes_16_bit_mono_that_direwolf_and_we_decode(tmp_path):
    monitor = tmp_path / "in.txt"
    monitor.write_text("\n".join(LINES) + "\n\n")
    wav = tmp_path / "out.wav"
    proc = run("encode", "--input", str(monitor), "--output", str(wav), "--rate", "44100")
    assert proc.returncode == 0, proc.stderr
    raw = wav.read_bytes()
    assert raw[22:24] == b"\x01\x00"
    assert raw[34:36] == b"\x10\x00"
    assert int.from_bytes(raw[24:28], "little") == 44100
    assert atest(wav).monitor_lines == LINES
    text = run("decode", str(wav))
    assert text.returncode == 0
    assert text.stdout.splitlines() == LINES


def test_decode_json_lines_carry_the_contract_fields(tmp_path):
    wav = gen_packets(tmp_path / "dw.wav", rate=48000, lines=LINES)
    proc = run("decode", str(wav), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["source"], r["destination"]) for r in records] == [
        ("N0CALL-1", "CQ"), ("WB2OSZ-15", "TEST"), ("KA1B", "ID")]
    assert records[1]["info_hex"] == (b"\xff\x00bytes\n").hex()
    assert records[1]["path"] == ["WIDE1-1*"]


def test_decode_of_silence_prints_nothing(tmp_path):
    from radios.wav import write_wav16

    wav = tmp_path / "quiet.wav"
    write_wav16(wav, np.zeros(48000), 48000)
    proc = run("decode", str(wav))
    assert proc.returncode == 0
    assert proc.stdout == ""
    assert read_wav(wav)[1] == 48000


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("N0CALL>CQ:ok\nBAD LINE\n", ("encode", "--input", "{txt}", "--output", "{wav}"), "in.txt:2:"),
        ("", ("encode", "--input", "{txt}", "--output", "{wav}"), "no frames"),
        ("N0CALL>CQ:ok\n", ("encode", "--input", "{txt}", "--output", "{wav}", "--rate", "1000"), "--rate"),
        ("N0CALL>CQ:ok\n", ("encode", "--input", "{txt}", "--output", "/nonexistent/x.wav"), "cannot write"),
        ("not a wav", ("decode", "{txt}"), "not a readable WAV"),
        (None, ("decode", "{tmp}/missing.wav"), "not a readable WAV"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, setup, args, message):
    txt = tmp_path / "in.txt"
    if setup is not None:
        txt.write_text(setup)
    fmt = {"txt": str(txt), "wav": str(tmp_path / "o.wav"), "tmp": str(tmp_path)}
    proc = run(*(a.format(**fmt) for a in args))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert message in proc.stderr
