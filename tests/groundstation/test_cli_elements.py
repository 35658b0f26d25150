"""`groundstation elements ...` end to end: real files, a real HTTP server on loopback, the real cache."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from groundstation.cli import main
from tests.conftest import DATA
from tracking.element_io import read_elements

ELEMENTS = DATA / "elements"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def file_server() -> Iterator[str]:
    """Serves tests/data/elements (Last-Modified / If-Modified-Since handled by the stdlib)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(ELEMENTS)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _one_line_error(capsys, code: int) -> str:
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_walker_writes_omm_that_reads_back(tmp_path, capsys):
    out = tmp_path / "walker.json"
    code = main([
        "elements", "walker", "--total", "24", "--planes", "6", "--phasing", "2", "--altitude-km", "550",
        "--inclination-deg", "53", "--epoch", "2026-11-22T00:00:00Z", "--format", "omm-json",
        "--output", str(out), "--first-norad-id", "100000",
    ])
    assert code == 0
    result = read_elements(out)
    assert result.format == "omm-json"
    assert [e.norad_id for e in result.elements] == list(range(100000, 100024))
    assert {e.epoch.isoformat() for e in result.elements} == {"2026-11-22T00:00:00+00:00"}
    assert "wrote 24 element sets" in capsys.readouterr().err


def test_walker_tle_to_stdout(capsys):
    code = main([
        "elements", "walker", "--total", "2", "--planes", "1", "--phasing", "0", "--altitude-km", "500",
        "--inclination-deg", "97.4", "--epoch", "2026-11-22T12:00:00", "--format", "tle",
    ])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("1 00900U          26326.50000000 ")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--phasing", "6"], "walker: phasing F=6 must be in [0, P-1] = [0, 5]"),
        (["--phasing", "1", "--epoch", "yesterday"], "--epoch: not an ISO 8601 time: 'yesterday'"),
        (
            ["--phasing", "1", "--first-norad-id", "339990", "--format", "tle"],
            "catalog number 340000 does not fit a TLE (Alpha-5 ends at 339999); export it as OMM",
        ),
    ],
)
def test_walker_bad_input_is_one_line_exit_2(capsys, extra, message):
    code = main([
        "elements", "walker", "--total", "24", "--planes", "6", "--altitude-km", "550",
        "--inclination-deg", "53", *extra,
    ])
    assert message in _one_line_error(capsys, code)


def test_list_given_files_json_with_stale_flags_and_reject_counts(isolated_dirs, capsys):
    malformed = ELEMENTS / "malformed.3le"
    code = main([
        "elements", "list", "--elements", str(malformed),
        "--elements", str(ELEMENTS / "synthetic-beyond-alpha5.csv"),
        "--at", "2026-08-23T00:00:00Z", "--max-age-days", "2", "--format", "json",
    ])
    captured = capsys.readouterr()
    assert code == 0
    rows = json.loads(captured.out)
    assert [(r["norad_id"], r["stale"]) for r in rows] == [
        (900, True), (23802, True), (400001, False), (339999, True)
    ]
    assert rows[2] == {
        "norad_id": 400001,
        "name": "QPS-SAR-18 (SUSANOO-II)",
        "epoch": "2026-08-22T15:16:03.817Z",
        "age_days": pytest.approx(0.3638, abs=1e-4),
        "source": str(ELEMENTS / "synthetic-beyond-alpha5.csv"),
        "stale": False,
    }
    assert f"{malformed}: 8 entries rejected, 2 loaded" in captured.err
    assert f"rejected: {malformed}:5: bad checksum" in captured.err
    assert "3 of 4 element sets are older than 2 days" in captured.err


def test_list_missing_file_is_one_line_exit_2(isolated_dirs, capsys):
    code = main(["elements", "list", "--elements", str(isolated_dirs / "nope.tle")])
    assert _one_line_error(capsys, code).endswith("nope.tle: cannot read: No such file or directory")


def test_update_then_list_from_the_cache(isolated_dirs, file_server, capsys):
    (isolated_dirs / "config" / "sources.toml").write_text(
        "[[source]]\n"
        'name = "sample"\n'
        f'url = "{file_server}/celestrak-active-2026-08-22-sample.csv"\n'
        "[[source]]\n"
        'name = "missing"\n'
        f'url = "{file_server}/no-such-file.tle"\n'
        "timeout_s = 5\n"
    )
    code = main(["elements", "update"])
    captured = capsys.readouterr()
    assert code == 1  # one source has nothing usable
    table = {line.split()[0]: line.split()[1:4] for line in captured.out.splitlines()[1:]}
    assert table == {"sample": ["fetched", "10", "0"], "missing": ["failed", "0", "0"]}
    assert "missing: HTTP 404" in captured.err

    assert main(["elements", "update", "--source", "sample"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[1] == "fresh"
    assert main(["elements", "update", "--source", "sample", "--force"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[1] == "not-modified"

    assert main(["elements", "list", "--at", "2026-08-23T00:00:00Z"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split()[:3] == ["NORAD", "NAME", "EPOCH"]
    assert len(listed) == 11
    assert all(line.rstrip().endswith("sample") for line in listed[1:])
    assert any(line.split()[0] == "100401" for line in listed[1:])

    code = main(["elements", "update", "--source", "nope"])
    assert "unknown source 'nope'" in _one_line_error(capsys, code)


def test_bad_sources_toml_is_one_line_exit_2(isolated_dirs, capsys):
    (isolated_dirs / "config" / "sources.toml").write_text('[[source]]\nname = "x"\n')
    message = _one_line_error(capsys, main(["elements", "update"]))
    assert "sources.toml: source 1 ('x'): needs exactly one of" in message
