import subprocess
import sys

import pytest

import chronoscore
from chronoscore.cli import COMMANDS, build_parser, main


def test_version_flag_prints_package_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"chronoscore {chronoscore.__version__}"


def test_no_subcommand_prints_help(capsys):
    assert main([]) == 0
    assert "usage: chronoscore" in capsys.readouterr().out


def test_module_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "chronoscore", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert chronoscore.__version__ in done.stdout


def test_every_command_is_listed_with_the_help_its_module_registers():
    parser = build_parser()                                   # imports every command's module
    choices = next(action for action in parser._actions if action.dest == "command")
    registered = {entry.dest: entry.help for entry in choices._choices_actions}
    assert registered == {name: help_text for name, (_, help_text) in COMMANDS.items()}


def test_help_lists_every_command_without_importing_torch_or_figures():
    probe = ("import sys, contextlib, io\n"
             "from chronoscore.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
             "    main([])\n"
             "print(sorted(m for m in ('torch', 'matplotlib', 'chronoscore.figures') if m in sys.modules))\n"
             "print(out.getvalue())\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "[]"
    assert all(name in done.stdout for name in COMMANDS)


LIGHT_COMMANDS = ["score", "fit", "extract", "compare"]
HEAVY_MODULES = ("torch", "numpy", "xarray", "sklearn", "scipy", "pandas")


@pytest.mark.parametrize("argv", [[command, "--help"] for command in LIGHT_COMMANDS]
                         + [["score", "resnet18", "--bogus"], ["fit", "--time", "forever"]])
def test_help_and_bad_arguments_are_answered_without_loading_the_numerics(argv):
    """A user asking for help or mistyping an option waits for argparse only, not for torch."""
    import subprocess
    import sys

    script = ("import sys\nfrom chronoscore.cli import main\n"
              f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
              f"print('LOADED', sorted(name for name in {HEAVY_MODULES!r} if name in sys.modules))")
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert finished.stdout.strip().splitlines()[-1] == "LOADED []"
