"""``chronoscore report`` shows scores against a brain RDM (``scores_per_step.nc``) as a table per model step."""

import re

import numpy as np

from chronoscore.cli import main

from .tiny_results import write_step_scores

SCORE = np.array([[0.21, 0.43, 0.38], [0.05, 0.12, 0.31]])
ERROR = np.array([[0.011, 0.022, 0.033], [0.044, 0.055, 0.066]])


def test_the_report_tables_each_area_s_similarity_per_model_step_and_marks_the_best(tmp_path):
    write_step_scores(tmp_path / "kiani" / "hgru", SCORE, name="hgru", error=ERROR)
    assert main(["report", str(tmp_path / "kiani")]) == 0
    page = re.sub(r"\s+", " ", (tmp_path / "kiani" / "report.html").read_text(encoding="utf-8"))
    assert "<h2>Scores against a brain RDM</h2>" in page and "<h3>hgru/scores_per_step.nc</h3>" in page
    assert "hgru against the brain RDM: RSA" in page
    header = "<th>model step</th> <th>time (ms)</th> <th>area0</th> <th>area1</th>"
    assert header in page
    for step in range(3):
        cells = [f"{SCORE[area, step]:.3f} ± {ERROR[area, step]:.3f}" for area in range(2)]
        cells = [cell + (" (best)" if step == int(np.argmax(SCORE[area])) else "") for area, cell in enumerate(cells)]
        assert f"<td>{step}</td> <td>{10 * step}</td> <td>{cells[0]}</td> <td>{cells[1]}</td>" in page
    assert 'id="rdm_similarity_over_steps"' in page                     # beside the figure of the same scores
