"""The governance CLI contract, end to end through `groundstation.cli.main`."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from dilithium_py.ml_dsa import ML_DSA_44, ML_DSA_65

from groundstation.cli import main
from groundstation.cli._governance import PASSPHRASE_ENV, PASSPHRASE_FILE_ENV
from tests.conftest import REPO

MEMBERS = ("alice", "bob", "carol", "dave", "erin")
EXIT_REJECTED = 1
EXIT_USAGE = 2


@pytest.fixture
def station(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(PASSPHRASE_ENV, "correct horse battery")
    monkeypatch.delenv(PASSPHRASE_FILE_ENV, raising=False)
    for name in MEMBERS:
        assert main(["keys", "generate", name]) == 0
    roster = isolated_dirs / "roster.json"
    assert main(["roster", "create", "--member", *MEMBERS, "--quorum", "3", "--output", str(roster)]) == 0
    return isolated_dirs


def _packet(station: Path, name: str = "p.bin", *extra: str) -> Path:
    path = station / name
    args = [
        "packet",
        "create",
        "--roster",
        str(station / "roster.json"),
        "--target",
        "sat-1",
        "--type",
        "command",
        "--opcode",
        "set_mode",
        "--arg",
        "mode=safe",
        "--valid-for",
        "600",
        "--output",
        str(path),
        *extra,
    ]
    assert main(args) == 0
    return path


def _verify(station: Path, packet: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(
        [
            "packet",
            "verify",
            str(packet),
            "--roster",
            str(station / "roster.json"),
            "--node",
            "sat-1",
            "--state",
            str(station / "node-state"),
        ]
    )
    return code, capsys.readouterr().out.strip()


def test_create_approve_verify_replay(station: Path, capsys: pytest.CaptureFixture[str]):
    packet = _packet(station)
    for name in ("alice", "carol"):
        assert main(["packet", "approve", str(packet), "--key", name]) == 0
    assert _verify(station, packet, capsys) == (EXIT_REJECTED, "below_quorum: 2 signatures, quorum is 3")
    assert main(["packet", "approve", str(packet), "--key", "erin"]) == 0
    code, out = _verify(station, packet, capsys)
    assert code == 0, out
    code, out = _verify(station, packet, capsys)
    assert code == EXIT_REJECTED
    assert out.startswith("replay:")


def test_inspect_json_verifies_with_an_independent_implementation(
    station: Path, capsys: pytest.CaptureFixture[str]
):
    packet = _packet(station)
    for name in ("bob", "dave", "erin"):
        assert main(["packet", "approve", str(packet), "--key", name]) == 0
    capsys.readouterr()
    assert main(["packet", "inspect", str(packet), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["algorithm"] == "ML-DSA-65"
    assert bytes.fromhex(info["context_hex"]) == b"groundstation/governance/v1/command"
    signed, context = bytes.fromhex(info["signed_hex"]), bytes.fromhex(info["context_hex"])
    assert [s["member"] for s in info["signatures"]] == ["bob", "dave", "erin"]
    for entry in info["signatures"]:
        public = bytes.fromhex(entry["public_key_hex"])
        assert ML_DSA_65.verify(public, signed, bytes.fromhex(entry["signature_hex"]), ctx=context)
        capsys.readouterr()
        main(["keys", "export-public", entry["member"], "--format", "raw"])
        assert capsys.readouterr().out.strip() == entry["public_key_hex"]


def test_sequences_count_up_across_targets(station: Path, capsys: pytest.CaptureFixture[str]):
    # A node in group leo-a sees both packets: their sequence numbers must differ.
    first = _packet(station, "a.bin")
    second = station / "b.bin"
    assert (
        main(
            [
                "packet",
                "create",
                "--roster",
                str(station / "roster.json"),
                "--target",
                "group:leo-a",
                "--opcode",
                "ping",
                "--output",
                str(second),
            ]
        )
        == 0
    )
    capsys.readouterr()
    sequences = []
    for path in (first, second):
        main(["packet", "inspect", str(path), "--format", "json"])
        sequences.append(json.loads(capsys.readouterr().out)["sequence"])
    assert sequences == [1, 2]


def test_private_keys_are_encrypted_and_private(station: Path):
    key = station / "data" / "keys" / "alice.key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in key.read_bytes()


def test_unencrypted_only_when_asked(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.delenv(PASSPHRASE_FILE_ENV, raising=False)
    # No terminal, no passphrase source: refused, nothing written.
    proc = subprocess.run(
        [sys.executable, "-m", "groundstation", "keys", "generate", "zoe"],
        cwd=REPO,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == EXIT_USAGE
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (isolated_dirs / "data" / "keys" / "zoe.key.pem").exists()
    assert main(["keys", "generate", "zoe", "--no-passphrase", "--algorithm", "ML-DSA-44"]) == 0
    assert b"BEGIN PRIVATE KEY" in (isolated_dirs / "data" / "keys" / "zoe.key.pem").read_bytes()
    capsys.readouterr()
    main(["keys", "list"])
    assert capsys.readouterr().out.split("\t")[-1].strip() == "unencrypted"
    capsys.readouterr()
    main(["keys", "export-public", "zoe", "--format", "raw"])
    assert len(bytes.fromhex(capsys.readouterr().out.strip())) == 1312
    assert ML_DSA_44 is not None


def test_passphrase_from_file_and_wrong_passphrase(station: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    packet = _packet(station)
    secret = station / "pass.txt"
    secret.write_text("correct horse battery\n")
    monkeypatch.delenv(PASSPHRASE_ENV)
    assert main(["packet", "approve", str(packet), "--key", "alice", "--passphrase-file", str(secret)]) == 0
    secret.write_text("wrong\n")
    capsys.readouterr()
    assert (
        main(["packet", "approve", str(packet), "--key", "bob", "--passphrase-file", str(secret)])
        == EXIT_USAGE
    )
    err = capsys.readouterr().err
    assert "cannot decrypt" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        ["packet", "inspect", "missing.bin"],
        [
            "packet",
            "create",
            "--roster",
            "roster.json",
            "--target",
            "two words",
            "--opcode",
            "x",
            "--output",
            "o",
        ],
        ["packet", "create", "--roster", "roster.json", "--target", "sat-1", "--output", "o"],
        [
            "packet",
            "create",
            "--roster",
            "roster.json",
            "--target",
            "sat-1",
            "--opcode",
            "x",
            "--arg",
            "novalue",
            "--output",
            "o",
        ],
        ["roster", "create", "--member", "alice", "nobody", "--quorum", "1", "--output", "r2.json"],
        ["roster", "create", "--member", "alice", "bob", "--quorum", "3", "--output", "r2.json"],
        ["keys", "generate", "alice"],
        ["keys", "export-public", "nobody"],
        ["packet", "approve", "p.bin", "--key", "nobody"],
    ],
)
def test_bad_input_is_one_line_and_exit_2(station: Path, monkeypatch: pytest.MonkeyPatch, capsys, args):
    monkeypatch.chdir(station)
    _packet(station)
    capsys.readouterr()
    assert main(args) == EXIT_USAGE
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_malformed_packet_is_a_rejection_not_bad_input(station: Path, capsys: pytest.CaptureFixture[str]):
    packet = station / "junk.bin"
    packet.write_bytes(b"GSGP junk")
    code, out = _verify(station, packet, capsys)
    assert code == EXIT_REJECTED
    assert out.startswith("malformed:")


def test_audit_log_records_and_verifies(station: Path, capsys: pytest.CaptureFixture[str]):
    packet = _packet(station)
    for name in ("alice", "bob", "carol"):
        main(["packet", "approve", str(packet), "--key", name])
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert "5 entries" in capsys.readouterr().out
    main(["audit", "show"])
    events = [line.split("\t")[2] for line in capsys.readouterr().out.splitlines()]
    assert events == ["created", "approved", "approved", "approved", "signed"]
    log = station / "data" / "audit" / "governance.log"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:2] + lines[3:]))
    assert main(["audit", "verify"]) == 1
    assert "governance.log:3" in capsys.readouterr().out
