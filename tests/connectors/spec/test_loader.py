"""Loading connect.yaml: YAML 1.2 values, and hostile input refused before it costs much."""

from __future__ import annotations

import math
import tracemalloc

import pytest

from connectors.spec.jsvalues import JsDate, JsOpaque, js_key_order, js_number_str, js_trim
from connectors.spec.loader import (
    MAX_ALIAS_COUNT,
    MAX_DEPTH,
    SpecFileError,
    load_spec,
    load_spec_document,
)

# --- YAML 1.2, as the official parser reads it --------------------------------------------


def test_yes_no_on_off_stay_strings():
    assert load_spec("a: yes\nb: no\nc: on\nd: off\ne: y\n") == {
        "a": "yes",
        "b": "no",
        "c": "on",
        "d": "off",
        "e": "y",
    }


def test_dates_and_times_stay_strings():
    assert load_spec("day: 2024-01-31\nwhen: 2024-01-31T10:00:00Z\n") == {
        "day": "2024-01-31",
        "when": "2024-01-31T10:00:00Z",
    }


def test_a_leading_zero_is_decimal_and_other_bases_have_prefixes():
    assert load_spec("a: 010\nb: 0o10\nc: 0x10\nd: +7\ne: 1_000\n") == {
        "a": 10,
        "b": 8,
        "c": 16,
        "d": 7,
        "e": "1_000",
    }


def test_only_the_core_schema_spellings_are_booleans_and_null():
    loaded = load_spec("a: True\nb: FALSE\nc: tRue\nd: ~\ne: Null\nf: nUll\n")
    assert loaded == {"a": True, "b": False, "c": "tRue", "d": None, "e": None, "f": "nUll"}


def test_floats_and_special_numbers():
    loaded = load_spec("a: 1.5\nb: 1e3\nc: .inf\nd: -.Inf\ne: .nan\n")
    assert loaded["a"] == 1.5
    assert loaded["b"] == 1000
    assert loaded["c"] == math.inf
    assert loaded["d"] == -math.inf
    assert math.isnan(loaded["e"])


def test_a_key_with_no_value_is_none_not_absent():
    assert load_spec("standardConfiguration:\nother: 1\n") == {
        "standardConfiguration": None,
        "other": 1,
    }


def test_a_duplicate_key_rejects_the_file():
    with pytest.raises(SpecFileError, match="Map keys must be unique") as caught:
        load_spec("a: 1\nb: 2\na: 3\n")
    assert caught.value.line == 3


def test_keys_equal_as_javascript_values_are_duplicates():
    with pytest.raises(SpecFileError, match="unique"):
        load_spec("1: a\n1.0: b\n")
    assert load_spec("1: a\n'1': b\n") == {"1": "b"}  # number and string differ, same JS key


def test_keys_become_javascript_object_keys_in_javascript_order():
    loaded = load_spec("z: 1\n10: 2\n2: 3\n~: 4\ntrue: 5\n1.50: 6\n")
    assert list(loaded) == ["2", "10", "z", "", "true", "1.5"]


def test_merge_keys_do_not_exist_in_yaml_1_2():
    assert load_spec("base: &b {x: 1}\nother:\n  <<: *b\n") == {
        "base": {"x": 1},
        "other": {"<<": {"x": 1}},
    }


def test_a_yaml_1_1_directive_switches_to_the_yaml_1_1_schema():
    loaded = load_spec(
        "%YAML 1.1\n---\na: yes\nb: 010\nc: 2024-01-31\nbase: &b {x: 1}\nd:\n  <<: *b\n"
    )
    assert loaded == {"a": True, "b": 8, "c": JsDate("2024-01-31"), "base": {"x": 1}, "d": {"x": 1}}


def test_explicit_tags_follow_the_core_schema():
    loaded = load_spec("a: !!str 12\nb: !!int '12'\nc: !!float 1\nd: !custom text\ne: ! 12\n")
    assert loaded == {"a": "12", "b": 12, "c": "1", "d": "text", "e": "12"}


def test_tags_that_make_other_javascript_types_keep_only_their_type_name():
    loaded = load_spec("a: !!binary aGVsbG8=\nb: !!set {x}\nc: !!omap [x: 1]\nd: !!pairs [x: 1]\n")
    assert loaded == {
        "a": JsOpaque("object"),
        "b": JsOpaque("set"),
        "c": JsOpaque("map"),
        "d": [{"x": 1}],
    }


def test_a_tab_separates_tokens_after_content_but_never_indents():
    assert load_spec("a:\tb\t# note\nc: one\ttwo\t\nd:\t'x'\n") == {
        "a": "b",
        "c": "one\ttwo",
        "d": "x",
    }
    with pytest.raises(SpecFileError):
        load_spec("a:\n\t- b\n")
    with pytest.raises(SpecFileError):
        load_spec("a:\n  -\tb: c\n")


def test_any_numeric_yaml_version_but_1_1_reads_as_1_2_and_may_repeat():
    assert load_spec("%YAML 1.3\n---\na: yes\n") == {"a": "yes"}
    assert load_spec("%YAML 2.0\n---\na: 010\n") == {"a": 10}
    assert load_spec("%YAML 1.2\n%YAML 1.2\n---\na: 1\n") == {"a": 1}
    assert load_spec("%YAML 1.1\n---\na: yes\n") == {"a": True}
    with pytest.raises(SpecFileError):
        load_spec("%YAML abc\n---\na: 1\n")


def test_an_empty_file_and_a_comment_only_file_are_none():
    assert load_spec("") is None
    assert load_spec("# nothing\n") is None


def test_more_than_one_document_is_refused():
    with pytest.raises(SpecFileError, match="more than one YAML document"):
        load_spec("a: 1\n---\nb: 2\n")


def test_a_byte_order_mark_is_ignored_and_bad_utf8_is_replaced():
    assert load_spec("\ufeffa: 1\n".encode()) == {"a": 1}
    assert load_spec(b"a: caf\xe9\n") == {"a": "caf\ufffd"}


def test_syntax_errors_say_where():
    with pytest.raises(SpecFileError) as caught:
        load_spec("a:\n  - b\n c: d\n")
    assert caught.value.line is not None
    assert f"line {caught.value.line}" in str(caught.value)


def test_an_unknown_alias_is_an_error():
    with pytest.raises(SpecFileError, match="unknown alias"):
        load_spec("a: *nowhere\n")


def test_an_alias_inside_its_own_anchor_is_refused():
    with pytest.raises(SpecFileError, match="contains it"):
        load_spec("a: &loop [1, *loop]\n")


# --- positions ----------------------------------------------------------------------------


def test_every_node_has_its_line():
    loaded = load_spec_document(
        "# comment\ndeployAs:\n  - name: svc\n    applicationType: service\n    endpoint: /s\n"
    )
    assert loaded.line_of(("deployAs",)) == 2
    assert loaded.line_of(("deployAs", 0)) == 3
    assert loaded.line_of(("deployAs", 0, "endpoint")) == 5
    # A missing field is shown at its nearest ancestor.
    assert loaded.line_of(("deployAs", 0, "healthCheck", "path")) == 3


def test_a_mapping_value_is_located_at_its_key():
    loaded = load_spec_document("configuration:\n  standardConfiguration:\n    - key: A\n")
    assert loaded.line_of(("configuration",)) == 1
    assert loaded.line_of(("configuration", "standardConfiguration", 0, "key")) == 3


# --- limits -------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_parsing():
    big = b"a: " + b"x" * 300_000 + b"\n"
    with pytest.raises(SpecFileError, match="larger than 262144 bytes"):
        load_spec(big)
    # Not even a well-formed prefix is looked at: bytes that are not YAML give the same error.
    with pytest.raises(SpecFileError, match="larger than"):
        load_spec(b"\x00[" * 200_000)


def test_the_size_limit_counts_encoded_bytes_of_text():
    text = "a: " + "é" * 1000 + "\n"  # 2 bytes each in UTF-8
    assert load_spec(text, max_bytes=3000)["a"] == "é" * 1000
    with pytest.raises(SpecFileError, match="larger than 1500 bytes"):
        load_spec(text, max_bytes=1500)


def test_a_billion_laughs_alias_bomb_is_refused_without_expanding_it():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, current in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{current}: &{current} [" + ",".join([f"*{previous}"] * 9) + "]")
    bomb = "\n".join(lines) + "\ndeployAs: *i\n"
    tracemalloc.start()
    try:
        with pytest.raises(SpecFileError, match="used too often"):
            load_spec(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024


def test_an_anchor_may_be_used_up_to_the_official_alias_limit():
    uses = MAX_ALIAS_COUNT - 1
    text = "a: &x v\nb: [" + ",".join(["*x"] * uses) + "]\n"
    assert load_spec(text)["b"] == ["v"] * uses
    with pytest.raises(SpecFileError, match="used too often"):
        load_spec("a: &x v\nb: [" + ",".join(["*x"] * (uses + 1)) + "]\n")


def test_aliases_that_would_expand_to_too_many_nodes_are_refused():
    # Each use passes the official count (a wide list weighs one), but together they are huge.
    wide = "a: &a [" + ",".join(["x"] * 5000) + "]\n"
    text = wide + "b: [" + ",".join(["*a"] * 60) + "]\n"
    with pytest.raises(SpecFileError, match="expands to more than"):
        load_spec(text)


def test_deep_nesting_is_refused():
    depth = MAX_DEPTH + 1
    with pytest.raises(SpecFileError, match="nests deeper"):
        load_spec("a: " + "[" * depth + "]" * depth + "\n")
    block = "".join("  " * level + f"k{level}:\n" for level in range(depth)) + "  " * depth + "v\n"
    with pytest.raises(SpecFileError, match="nests deeper"):
        load_spec(block)


def test_very_deep_flow_nesting_is_refused_without_recursion_errors():
    with pytest.raises(SpecFileError, match="nests deeper"):
        load_spec("[" * 100_000)


# --- JavaScript value semantics -----------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "1"),
        (1.0, "1"),
        (1.5, "1.5"),
        (-0.25, "-0.25"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (math.inf, "Infinity"),
        (math.nan, "NaN"),
        (2**60, "1152921504606847000"),  # shortest round-trip digits, as String(2 ** 60)
    ],
)
def test_numbers_print_as_javascript_prints_them(number, text):
    assert js_number_str(number) == text


def test_trim_uses_javascript_whitespace():
    assert js_trim("\u00a0\u2003x\ufeff") == "x"
    assert js_trim("\u0085") == "\u0085"  # NEL is not whitespace to String.prototype.trim


def test_object_key_order_puts_array_indices_first():
    assert js_key_order(["b", "10", "2", "a", "4294967295", "01"]) == [
        "2",
        "10",
        "b",
        "a",
        "4294967295",
        "01",
    ]
