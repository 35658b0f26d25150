import subprocess
import sys

import pytest

from groundstation.cli import COMMANDS, main
from tests.conftest import REPO


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name.replace("_", "-") in out or name in out


def test_unknown_option_is_one_line_and_exit_2():
    proc = subprocess.run(
        [sys.executable, "-m", "groundstation", "--no-such-option"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_headless_cli_never_imports_qt():
    code = (
        "import sys\n"
        "from ui.app import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'PySide6', 'shiboken6', 'pyqtgraph'}]\n"
        "print('QT=' + ','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "QT="


def test_each_command_module_registers_the_help_listed_in_commands():
    import argparse

    from groundstation.cli import build_parser

    parser = build_parser()  # every module, in full
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    registered = {action.dest: action.help for action in sub._choices_actions}
    assert registered == COMMANDS


def test_help_imports_no_command_module():
    code = (
        "import sys\n"
        "from groundstation.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'scipy', 'sqlalchemy', 'cryptography',"
        " 'skyfield', 'highspy'} or m.startswith('groundstation.cli.'))\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY="

