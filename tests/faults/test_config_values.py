"""Configs of the right shape with bad values (audit defects 3 and 8): every one is
accepted or refused with one line (exit 2), and validation costs the size of the config,
never the size of the numbers in it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neat_core.config import config_fields
from neat_core.settings.fields import list_item, optional_inner

from ..train_utils import subprocess_env

HUGE = 10**30

# Loads, in one process, a config with each int field at 10**30 (and -10**30), plus the
# audit's num_heads that does not divide it: a validation that loops up to a value never
# finishes, and the timeout fails the test.
EVERY_FIELD_HUGE = textwrap.dedent("""
    import sys
    from neat_core.config import Override, config_fields, load_config
    from neat_core.errors import ConfigError

    cases = [[("model.hidden_size", 10**30), ("model.num_heads", 7)],
             [("model.hidden_size", 10**30 + 1), ("model.num_heads", 10**30)]]
    cases += [[(f.path, sign * 10**30)] for f in config_fields() for sign in (1, -1)
              if f.type in (int, float) or "int" in str(f.type)]
    for case in cases:
        try:
            load_config(overrides=[Override(p, v, raw=False) for p, v in case])
        except ConfigError as error:
            assert len(error.one_line().splitlines()) == 1
    print("loaded", len(cases))
""")


def test_huge_values_load_in_time_independent_of_their_size():
    result = subprocess.run([sys.executable, "-c", EVERY_FIELD_HUGE], env=subprocess_env(),
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("loaded")


def test_the_audits_huge_hidden_size_gives_a_hint_at_once(run_cli, tmp_path):
    config = tmp_path / "huge.json"
    config.write_text(json.dumps({"model": {"hidden_size": HUGE, "num_heads": 7}}))
    result = run_cli("config", "show", "-c", str(config))
    assert result.exit_code == 2
    assert "must be divisible by model.num_heads (7)" in result.stderr
    assert "e.g. 8" in result.stderr  # 2**30 divides 10**30


def test_deep_json_and_giant_integers_in_a_config_are_bad_input(run_cli, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"model": ' + "[" * 100_000 + "]" * 100_000 + "}")
    giant = tmp_path / "giant.json"
    giant.write_text('{"model": {"hidden_size": ' + "9" * 5000 + "}}")
    for path, message in ((deep, "JSON nested too deeply"),
                          (giant, "Exceeds the limit (4300 digits)")):
        result = run_cli("config", "validate", str(path))
        assert result.exit_code == 2 and message in result.stderr
        assert "unexpected" not in result.stderr and "set_int_max_str_digits" not in \
            result.stderr


BAD_SCALARS = st.one_of(
    st.sampled_from([HUGE, -HUGE, 0, -1, 2**63, float("nan"), float("inf"),
                     float("-inf"), 1e308, -0.0, "", "x" * 10_000, True, False, None,
                     "\x00", "ünïcødé", "../../etc/passwd"]),
    st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
)
BAD_VALUES = st.recursive(BAD_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8)
LEAVES = [field.path for field in config_fields()]


def nest(flat: dict[str, object]) -> dict[str, object]:
    tree: dict[str, object] = {}
    for path, value in flat.items():
        *sections, key = path.split(".")
        node = tree
        for section in sections:
            node = node.setdefault(section, {})  # type: ignore[assignment]
        node[key] = value
    return tree


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(LEAVES), BAD_VALUES, min_size=1, max_size=6))
def test_valid_shaped_configs_with_bad_values(run_cli, tmp_path, flat):
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(nest(flat)))
    result = run_cli("config", "validate", str(path))
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "unexpected" not in \
            lines[0], result.stderr


def test_the_fuzzer_reaches_every_kind_of_leaf():
    kinds = {str(optional_inner(f.type) or list_item(f.type) or f.type)
             for f in config_fields()}
    assert len(LEAVES) > 40 and len(kinds) > 3
