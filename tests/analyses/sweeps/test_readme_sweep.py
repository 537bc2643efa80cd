"""The README's section on sweeps: its sweep file and commands parse and plan the grid it describes.

The cells themselves are run (with tiny models) by the other sweep tests; here
the section's training run is trained with a tiny model for as many checkpoints
(6 steps, saved every 2), and every sweep command runs with ``--dry-run``, which
validates the file and the options, writes the plan and lists the cells without
scoring them.
"""

import re
import shlex
from pathlib import Path

from chronoscore.cli import main

README = Path(__file__).resolve().parents[3] / "README.md"
TINY_TRAINING = ["steps=6", "checkpoint_every=2", "data.train_n=32", "batch_size=8", "model.kwargs.width=0.05"]
"""Overrides added to the section's training command: three checkpoints, as the README's run has, in seconds."""
SECTION = README.read_text().split("## Sweeps: scoring a zoo, locally or on a SLURM cluster", 1)[1].split("\n## ", 1)[0]


def test_the_section_s_sweep_file_and_commands_plan_the_grid(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    [sweep_file] = re.findall(r"```yaml\n(.*?)```", SECTION, re.S)
    Path("zoo.yaml").write_text(sweep_file)
    [commands] = re.findall(r"```bash\n(.*?)```", SECTION, re.S)
    lines = [shlex.split(line.split("#", 1)[0]) for line in commands.replace("\\\n", " ").splitlines() if line.strip()]
    assert [words[:2] for words in lines] == [["chronoscore", "train"]] + [["chronoscore", "sweep"]] * 4
    assert main(lines[0][1:] + [item for value in TINY_TRAINING for item in ("--set", value)]) == 0
    for words in lines[1:]:
        dry = [] if words[2] == "status" else ["--dry-run"]
        assert main(words[1:] + dry) == 0, capsys.readouterr().err
    listed = capsys.readouterr().out
    assert "0 done, 0 running, 0 failed, 6 pending (of 6 cells)" in listed
    assert "convrnn_shallow_rgc__simulated__pls__per_bin" in listed
    assert all(f"ff_demo@{step}__simulated__pls__per_bin" in listed for step in (2, 4, 6))
