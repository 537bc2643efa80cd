"""``chronoscore demo`` end to end, as ``make demo`` runs it (builds the simulated data in a fresh cache)."""

import numpy as np

from chronoscore.cli import main
from chronoscore.analyses.compare import read_comparison
from chronoscore.neural_fit import read_scores


def test_demo_scores_compares_and_draws(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHRONOSCORE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    for name in ("convrnn_shallow_rgc", "ff_shallow"):
        scores = read_scores(out / name / "scores_per_bin.nc")
        assert set(scores["region"].values) == {"V4", "IT"} and scores.sizes["time_bin"] == 19
        assert np.nanmax(scores["score"].values) > 0.1            # trained features predict the simulated sites
        assert scores.attrs["weights_hash"] != "unknown"
    assert (out / "convrnn_shallow_rgc" / "scores_matrix.nc").is_file()
    comparison = read_comparison(out / "comparison")
    assert list(comparison["candidate"].values) == ["convrnn_shallow_rgc"]
    assert (out / "predictivity.png").stat().st_size > 10_000 and (out / "predictivity.pdf").is_file()
    assert "# chronoscore demo" in (out / "summary.md").read_text()
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") >= 2 and "convrnn_shallow_rgc" in report
    assert "results, figures and summary written to" in capsys.readouterr().out
