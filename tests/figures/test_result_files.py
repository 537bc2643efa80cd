"""Reading and checking result files: every problem is a FileFormatError naming the file."""

import json

import numpy as np
import pytest

from chronoscore.errors import FileFormatError
from chronoscore.figures.result_files import (TableSchema, check_unique_rows, mean_over_seeds, read_json_object,
                                              read_matrix_scores, read_scored_model, read_table)

from .tiny_results import write_csv, write_matrix, write_scored_model

SCHEMA = TableSchema("test", {"name": "text", "count": "integer", "value": "number"}, "the test")


def test_read_table_converts_columns_and_ignores_order_and_extra_columns(tmp_path):
    path = write_csv(tmp_path / "t.csv", "value, extra,name,count", ["1.5,x,a,2", "nan,y,b,3"])
    table = read_table(path, SCHEMA)
    assert list(table.columns) == ["name", "count", "value"]
    assert table["name"].tolist() == ["a", "b"] and table["count"].tolist() == [2, 3]
    assert table["value"].iloc[0] == 1.5 and np.isnan(table["value"].iloc[1])


@pytest.mark.parametrize("header, rows, message", [
    ("name,count", ["a,1"], "lacks column(s) ['value']"),
    ("name,count,value", [], "no rows"),
    ("name,count,value", ["a,1,0.5", "b,2,abc"], "line 3 has 'abc'"),
    ("name,count,value", ["a,2.5,0.5"], "whole number"),
    ("name,count,value", ["a,1,"], "empty on line 2"),
])
def test_malformed_tables_raise_naming_the_file_and_the_problem(tmp_path, header, rows, message):
    path = write_csv(tmp_path / "bad.csv", header, rows)
    with pytest.raises(FileFormatError, match="bad.csv") as error:
        read_table(path, SCHEMA)
    assert message in str(error.value)


def test_missing_and_binary_tables_raise(tmp_path):
    with pytest.raises(FileFormatError, match="missing.csv: no such file"):
        read_table(tmp_path / "missing.csv", SCHEMA)
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(FileFormatError, match="binary.csv"):
        read_table(tmp_path / "binary.csv", SCHEMA)


def test_repeated_rows_and_seed_means(tmp_path):
    path = write_csv(tmp_path / "t.csv", "name,count,value", ["a,1,0.2", "a,2,0.4", "b,1,0.9", "a,1,0.3"])
    table = read_table(path, SCHEMA)
    with pytest.raises(FileFormatError, match="line 5 repeats name=a, count=1"):
        check_unique_rows(table, ["name", "count"], path)
    summary = mean_over_seeds(table.iloc[:3], ["name"], "value")
    assert summary["name"].tolist() == ["a", "b"] and summary["n"].tolist() == [2, 1]
    assert summary["mean"].tolist() == pytest.approx([0.3, 0.9])
    assert summary["sd"].tolist() == pytest.approx([np.std([0.2, 0.4], ddof=1), 0.0])


def test_json_objects(tmp_path):
    (tmp_path / "list.json").write_text(json.dumps([1]))
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(FileFormatError, match="list.json: expected a JSON object"):
        read_json_object(tmp_path / "list.json", "summary", "rewrite it.")
    with pytest.raises(FileFormatError, match="broken.json: not readable as JSON"):
        read_json_object(tmp_path / "broken.json", "summary", "rewrite it.")


def test_scored_model_folders_must_hold_per_bin_scores(tmp_path):
    with pytest.raises(FileFormatError, match="neither scores.nc nor scores_per_bin.nc"):
        read_scored_model(tmp_path)
    write_matrix(tmp_path / "m", np.zeros((2, 3, 4)))
    (tmp_path / "m" / "scores_matrix.nc").rename(tmp_path / "m" / "scores.nc")
    with pytest.raises(FileFormatError, match="expected per-bin scores"):
        read_scored_model(tmp_path / "m")
    write_scored_model(tmp_path / "p", "p", np.zeros((2, 4)))
    with pytest.raises(FileFormatError, match="scores_matrix.nc: no such file"):
        read_matrix_scores(tmp_path / "p")
    with pytest.raises(FileFormatError, match="expected step × bin scores"):
        read_matrix_scores(tmp_path / "p" / "scores_per_bin.nc")
