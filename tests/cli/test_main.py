import subprocess
import sys

import pytest

import chronoscore
from chronoscore.cli import COMMANDS, ERROR_PREFIX, build_parser, main


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


HEAVY_MODULES = ("torch", "numpy", "xarray", "pandas", "scipy", "sklearn", "matplotlib")


def modules_loaded_by(argv: list[str]) -> list[str]:
    """The heavy modules a fresh interpreter holds after ``chronoscore ARGV`` (help or an argument error)."""
    script = ("import sys\nfrom chronoscore.cli import main\n"
              f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
              f"print('LOADED', sorted(name for name in {HEAVY_MODULES!r} if name in sys.modules))")
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return eval(finished.stdout.strip().splitlines()[-1].removeprefix("LOADED "))  # a printed list of names


@pytest.mark.parametrize("argv", [["--help"], ["--no-such-option"]]
                         + [[command, "--help"] for command in COMMANDS]
                         + [[command, "--no-such-option"] for command in COMMANDS]
                         + [["score", "resnet18", "--bogus"], ["fit", "--time", "forever"]])
def test_help_and_bad_arguments_are_answered_without_loading_the_numerics(argv):
    """A user asking for help or mistyping an option waits for argparse only, not for torch."""
    assert modules_loaded_by(argv) == []


def test_the_probe_sees_a_heavy_import():
    """The check above can fail: a command that runs does load the numerics."""
    assert "torch" in modules_loaded_by(["models", "convrnn_shallow_rgc"])


def option_strings(command: str) -> set[str]:
    """Every option string of ``command``'s parser (listed or not)."""
    parser = build_parser(command)
    subparsers = next(action for action in parser._actions if action.dest == "command")
    return {option for action in subparsers.choices[command]._actions for option in action.option_strings}


def test_every_fit_option_is_a_score_option():
    fit_inputs = {"--features", "--neural"}  # fit's files; score makes its features and reads its benchmark
    assert fit_inputs <= option_strings("fit")
    assert option_strings("fit") - fit_inputs <= option_strings("score")


def parse(argv: list[str]):
    """The namespace of ``chronoscore ARGV`` (the command's module imported)."""
    return build_parser(argv[0]).parse_args(argv)


def test_the_two_seeds_have_their_own_names():
    score = parse(["score", "m", "--out", "o", "--init-seed", "3", "--split-seed", "4"])
    assert (score.init_seed, score.split_seed) == (3, 4)
    assert parse(["extract", "m", "--stimuli", "s", "--out", "o", "--init-seed", "5"]).init_seed == 5
    assert parse(["fit", "--features", "f", "--neural", "n", "--out", "o", "--split-seed", "6"]).split_seed == 6
    unset = parse(["score", "m", "--out", "o"])
    assert (unset.init_seed, unset.split_seed) == (0, None)


def test_the_old_seed_works_where_it_means_one_seed_only():
    assert parse(["fit", "--features", "f", "--neural", "n", "--out", "o", "--seed", "7"]).split_seed == 7
    assert parse(["extract", "m", "--stimuli", "s", "--out", "o", "--seed", "8"]).init_seed == 8


def test_the_old_seed_is_refused_on_score_naming_both(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["score", "m", "--out", "o", "--seed", "1"])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(ERROR_PREFIX) and "--init-seed" in error and "--split-seed" in error


def test_score_settings_start_from_the_benchmark_and_take_the_fit_options(tmp_path):
    from chronoscore.cli.options import fit_settings
    from chronoscore.neural_fit import FitSettings, TimeMapping

    benchmark = FitSettings(metric_options={"n_components": 3}, random_state=9,
                            mapping=TimeMapping("latency", latency_ms=60))
    assert fit_settings(parse(["score", "m", "--out", "o"]), defaults=benchmark) == benchmark
    config = tmp_path / "fit.yaml"
    config.write_text("n_splits: 4\nmetric_options: {n_components: 5}\n")
    given = parse(["score", "m", "--out", "o", "--config", str(config), "--n-components", "6", "--kfold",
                   "--split-seed", "2", "--latency-ms", "80", "--set", "ceiling_floor=0"])
    expected = FitSettings(metric_options={"n_components": 6}, n_splits=4, splits="kfold", random_state=2, ceiling_floor=0.0,
                           mapping=TimeMapping("latency", latency_ms=80))
    assert fit_settings(given, defaults=benchmark) == expected
    fit = parse(["fit", "--features", "f", "--neural", "n", "--out", "o", "--config", str(config),
                 "--n-components", "6", "--kfold", "--split-seed", "2", "--latency-ms", "80",
                 "--set", "ceiling_floor=0"])
    assert fit_settings(fit) == expected
    ridge = fit_settings(parse(["score", "m", "--out", "o", "--metric", "ridge"]), defaults=benchmark)
    assert ridge.metric == "ridge" and ridge.metric_options == {} and ridge.random_state == 9
    assert fit_settings(parse(["fit", "--features", "f", "--neural", "n", "--out", "o", "--regression", "ridgecv"])
                        ).metric == "ridgecv"


@pytest.mark.parametrize("argv", [["score", "--no-such-option"], ["data", "synth", "--n", "x"], ["--bogus"]])
def test_argument_errors_carry_the_one_error_prefix(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith(ERROR_PREFIX)
