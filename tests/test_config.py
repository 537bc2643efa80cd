"""Configurations from YAML, named values and ``key=value`` overrides (:mod:`chronoscore.config`)."""

import json
import re

import pytest
import yaml

from chronoscore.config import config_to_dict, load_config, parse_override
from chronoscore.errors import ConfigError
from chronoscore.neural_fit.settings import FitSettings
from chronoscore.neural_fit.time_mapping import TimeMapping


def yaml_file(tmp_path, content) -> str:
    """Write ``content`` (text as it is, anything else through YAML) to a file and return its path."""
    path = tmp_path / "settings.yaml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return str(path)


def test_without_anything_gives_the_defaults():
    assert load_config(FitSettings) == FitSettings()


def test_named_values_override_the_file_and_key_value_overrides_override_both(tmp_path):
    path = yaml_file(tmp_path, {"metric": "ridge", "n_splits": 3, "metric_options": {"alpha": 5}, "random_state": 7})
    loaded = load_config(FitSettings, path, overrides=["metric_options.alpha=9"], metric_options={"alpha": 7},
                         n_splits=4, metric=None)
    assert loaded == FitSettings(metric="ridge", n_splits=4, metric_options={"alpha": 9.0}, random_state=7)


def test_the_last_of_repeated_overrides_wins():
    assert load_config(FitSettings, overrides=["n_splits=3", "n_splits=5"]).n_splits == 5


def test_dotted_key_sets_one_field_of_a_nested_dataclass():
    assert load_config(FitSettings, overrides=["mapping.kind=best"]).mapping == TimeMapping(kind="best")


def test_dotted_keys_merge_with_nested_settings_from_the_file(tmp_path):
    path = yaml_file(tmp_path, {"mapping": {"kind": "latency", "latency_ms": 50}})
    loaded = load_config(FitSettings, path, overrides=["mapping.step_ms=5"])
    assert loaded.mapping == TimeMapping(kind="latency", latency_ms=50.0, step_ms=5.0)


def test_dotted_keys_merge_with_a_nested_dataclass_given_by_value():
    loaded = load_config(FitSettings, overrides=["mapping.step_ms=20"], mapping=TimeMapping(kind="single"))
    assert loaded.mapping == TimeMapping(kind="single", step_ms=20.0)


@pytest.mark.parametrize("override, match", [
    ("metric=lasso", r"metric must be one of (\w+, )*pls, (\w+, )*ridge, ridgecv(, \w+)*; got 'lasso'"),  # others may be registered
    ("mapping.kind=worst", r"mapping.kind must be one of latency, nearest_start, table, single, best; got 'worst'"),
    ("time=3", r"time must be one of per_bin, shared, matrix; got 3"),
])
def test_literal_fields_accept_only_their_choices(override, match):
    with pytest.raises(ConfigError, match=match):
        load_config(FitSettings, overrides=[override])


def test_literal_field_takes_one_of_its_choices():
    loaded = load_config(FitSettings, overrides=["ceiling_convention=squared_ratio"])
    assert loaded.ceiling_convention == "squared_ratio"


def test_list_becomes_a_tuple_of_floats():
    alphas = load_config(FitSettings, overrides=["metric=ridgecv", "metric_options.alphas=[1, 10]"]).options().alphas
    assert alphas == (1.0, 10.0)
    assert all(type(alpha) is float for alpha in alphas)


def test_exponent_without_a_dot_is_read_as_a_number():
    """YAML reads ``1e3`` as text; a float field still takes it."""
    assert load_config(FitSettings, overrides=["metric=ridgecv", "metric_options.alphas=[1e3, 2.5e-1]"]
                       ).options().alphas == (1000.0, 0.25)
    assert load_config(FitSettings, overrides=["metric=ridge", "metric_options.alpha=1e2"]).options().alpha == 100.0


def test_integer_for_a_float_field_becomes_a_float():
    alpha = load_config(FitSettings, overrides=["metric=ridge", "metric_options.alpha=2"]).options().alpha
    assert alpha == 2.0 and type(alpha) is float


def test_optional_tuple_of_ints_in_a_nested_dataclass():
    loaded = load_config(FitSettings, overrides=["mapping.kind=table", "mapping.table=[2, 0, 1]"])
    assert loaded.mapping == TimeMapping(kind="table", table=(2, 0, 1))


@pytest.mark.parametrize("override, field", [
    ("stratify=null", "stratify"), ("stratify=", "stratify"), ("device=null", "device"),
])
def test_optional_field_set_to_null_becomes_none(override, field):
    assert getattr(load_config(FitSettings, overrides=[override], device="cpu"), field) is None


def test_optional_field_set_to_null_in_the_file_becomes_none(tmp_path):
    path = yaml_file(tmp_path, "stratify: null\nmapping:\n  table: null\n")
    loaded = load_config(FitSettings, path)
    assert loaded.stratify is None and loaded.mapping.table is None


@pytest.mark.parametrize("source, match", [
    ({"overrides": ["n_split=3"]}, r"unknown setting\(s\) n_split; known: metric, metric_options"),
    ({"overrides": ["mapping.delay=3"]}, r"unknown setting\(s\) mapping.delay; known: mapping.kind"),
    ({"file": {"nsplits": 3, "seed": 1}}, r"unknown setting\(s\) nsplits, seed;"),
    ({"values": {"folds": 5}}, r"unknown setting\(s\) folds;"),
])
def test_unknown_keys_raise_naming_the_key(tmp_path, source, match):
    path = yaml_file(tmp_path, source["file"]) if "file" in source else None
    with pytest.raises(ConfigError, match=match):
        load_config(FitSettings, path, overrides=source.get("overrides", ()), **source.get("values", {}))


@pytest.mark.parametrize("override, match", [
    ("n_splits=ten", r"n_splits must be of type int, got 'ten'"),
    ("n_splits=2.5", r"n_splits must be of type int, got 2.5"),
    ("n_splits=true", r"n_splits must be of type int, got True"),
    ("train_size=most", r"train_size must be a number, got 'most'"),
    ("metric_options.alpha=[1]", r"metric_options.alpha must be a number, got \[1\]"),
    ("metric_options.alphas=3", r"metric_options.alphas must be a list, got 3"),
    ("metric_options.alphas=[1, x]", r"metric_options.alphas\[1\] must be a number, got 'x'"),
    ("stratify=3", r"stratify must be of type str, got 3"),
    ("mapping=5", r"mapping must be a mapping of its settings, got 5"),
    ("mapping.table=[0.5]", r"mapping.table\[0\] must be of type int, got 0.5"),
    ("mapping.latency_ms=late", r"mapping.latency_ms must be a number, got 'late'"),
])
def test_wrong_types_raise_naming_the_key(override, match):
    metric = {"metric_options.alpha": "ridge", "metric_options.alphas": "ridgecv"}.get(override.split("=")[0])
    with pytest.raises(ConfigError, match=match):
        load_config(FitSettings, overrides=[override], metric=metric)


def test_wrong_type_in_the_file_raises_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"metric_options.n_components must be of type int, got '25'"):
        load_config(FitSettings, yaml_file(tmp_path, {"metric_options": {"n_components": "25"}}))


def test_values_the_dataclass_rejects_raise_config_error():
    with pytest.raises(ConfigError, match="n_splits must be a positive integer, got 0"):
        load_config(FitSettings, overrides=["n_splits=0"])


@pytest.mark.parametrize("content", ["- n_splits\n- 3\n", "3\n", "just text\n"])
def test_file_that_is_not_a_mapping_raises(tmp_path, content):
    with pytest.raises(ConfigError, match=r"settings.yaml must hold a mapping of setting names to values"):
        load_config(FitSettings, yaml_file(tmp_path, content))


def test_empty_file_gives_the_defaults(tmp_path):
    assert load_config(FitSettings, yaml_file(tmp_path, "")) == FitSettings()


def test_invalid_yaml_raises(tmp_path):
    with pytest.raises(ConfigError, match=r"settings.yaml is not valid YAML"):
        load_config(FitSettings, yaml_file(tmp_path, "n_splits: [1, 2\n"))


@pytest.mark.parametrize("kind", ["missing", "folder", "binary"])
def test_unreadable_file_raises(tmp_path, kind):
    path = {"missing": tmp_path / "missing.yaml", "folder": tmp_path, "binary": tmp_path / "binary.yaml"}[kind]
    if kind == "binary":
        path.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ConfigError, match=f"cannot read the configuration file {re.escape(str(path))} "):
        load_config(FitSettings, path)


@pytest.mark.parametrize("text, expected", [
    ("n_splits=3", ("n_splits", 3)),
    (" n_splits = 3", ("n_splits", 3)),
    ("stratify=a=b", ("stratify", "a=b")),
    ("alphas=[1, 2.5]", ("alphas", [1, 2.5])),
    ("device=", ("device", None)),
])
def test_parse_override_splits_at_the_first_equals_sign_and_reads_yaml(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize("text, match", [
    ("n_splits", r"override 'n_splits' must look like key=value"),
    ("alphas=[1, 2", r"cannot parse the value of 'alphas'"),
])
def test_parse_override_rejects_malformed_text(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_override(text)


SETTINGS = FitSettings(metric="ridgecv", metric_options={"alphas": (0.5, 5.0)}, time="shared",
                       mapping=TimeMapping(kind="table", table=(0, 2)), splits="kfold", n_splits=4, train_size=0.8,
                       random_state=3, stratify=None, device="cpu", ceiling_convention="squared_ratio")


def test_config_to_dict_gives_plain_lists_and_mappings():
    plain = config_to_dict(SETTINGS)
    assert plain["metric_options"] == {"alphas": [0.5, 5.0]}
    assert plain["mapping"] == {"kind": "table", "latency_ms": 70.0, "step_ms": None, "table": [0, 2], "n_steps": None}
    assert plain["stratify"] is None
    assert json.loads(json.dumps(plain)) == plain


def test_config_to_dict_round_trips_through_a_yaml_file(tmp_path):
    path = yaml_file(tmp_path, config_to_dict(SETTINGS))
    assert load_config(FitSettings, path) == SETTINGS


def test_config_to_dict_round_trips_as_key_value_overrides():
    plain = config_to_dict(SETTINGS)
    overrides = [f"{key}={json.dumps(value)}" for key, value in plain.items()]
    assert load_config(FitSettings, overrides=overrides) == SETTINGS


OLD_SAVED = {"regression": "ridgecv", "n_components": 25, "alpha": 1.0, "alphas": [0.5, 5.0], "n_splits": 4}
"""Fit settings as versions before the metric registry saved them: every metric's options at the top level."""


def test_old_settings_files_load_under_the_new_names_with_a_warning(tmp_path):
    with pytest.warns(DeprecationWarning, match=r"regression, n_components, alpha, alphas are old spellings: "
                                                r"write metric: NAME"):
        loaded = load_config(FitSettings, yaml_file(tmp_path, OLD_SAVED))
    assert loaded == FitSettings(metric="ridgecv", metric_options={"alphas": (0.5, 5.0)}, n_splits=4)


@pytest.mark.parametrize("overrides, expected", [
    (["regression=ridge", "alpha=3"], FitSettings(metric="ridge", metric_options={"alpha": 3.0})),
    (["n_components=5"], FitSettings(metric_options={"n_components": 5})),
    (["regression=ridgecv", "alphas=[1e3]"], FitSettings(metric="ridgecv", metric_options={"alphas": (1000.0,)})),
])
def test_old_override_names_still_work(overrides, expected):
    with pytest.warns(DeprecationWarning, match="old spellings"):
        assert load_config(FitSettings, overrides=overrides) == expected


def test_an_old_option_of_another_metric_is_an_error_naming_the_metrics_options():
    with pytest.warns(DeprecationWarning), \
            pytest.raises(ConfigError, match=r"metric 'pls' has no option\(s\) alpha; its options are n_components"):
        load_config(FitSettings, overrides=["alpha=2"])


def test_old_and_new_metric_names_that_disagree_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"regression \('ridge'\) is the old name of metric \('pls'\); give only "
                                          r"metric"):
        load_config(FitSettings, yaml_file(tmp_path, {"regression": "ridge", "metric": "pls"}))


def test_saved_settings_hold_every_option_of_the_metric():
    saved = json.loads(FitSettings(metric="ridgecv").to_json())
    assert saved["metric"] == "ridgecv" and saved["metric_options"]["alphas"][0] == 0.01
    assert "regression" not in saved and "n_components" not in saved
