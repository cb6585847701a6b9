"""The strict level gives the official CLI parser's verdict, with its messages, on the corpus.

corpus/expected.json was produced by running @commercetools-connect/specification on every
corpus file (see official_verdicts.mjs beside this file). Files the official parser rejects
before its schema runs (YAML syntax, duplicate keys, alias limits: "stage": "yaml") carry the
YAML library's own wording, so only their verdict is compared. So are the "limit-" files,
which our loader refuses for being hostile while the official parser reports a schema error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.spec.strict import SpecError, validate_specification

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
VERDICTS = {name: verdict for name, verdict in EXPECTED.items() if not name.startswith("_")}


def _verdict_only(name: str) -> bool:
    return VERDICTS[name].get("stage") == "yaml" or name.startswith("limit-")


def test_every_corpus_file_has_an_official_verdict():
    files = {path.name for path in CORPUS.glob("*.yaml")}
    assert files == set(VERDICTS)
    assert len(files) >= 60


def test_corpus_holds_valid_and_invalid_files_of_every_kind():
    valid = [name for name, verdict in VERDICTS.items() if verdict["valid"]]
    invalid_by_schema = [name for name in VERDICTS if not _verdict_only(name) and name not in valid]
    invalid_by_yaml = [name for name, verdict in VERDICTS.items() if verdict.get("stage") == "yaml"]
    assert len(valid) >= 20
    assert len(invalid_by_schema) >= 60
    assert len(invalid_by_yaml) >= 8


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_strict_verdict_matches_the_official_parser(name):
    errors = validate_specification((CORPUS / name).read_bytes())
    expected = VERDICTS[name]
    assert (not errors) == expected["valid"], [str(error) for error in errors]
    if _verdict_only(name):
        assert all(error.path == "" for error in errors)
    else:
        assert [str(error) for error in errors] == expected["errors"]


def test_text_and_bytes_give_the_same_errors():
    content = (CORPUS / "config-key-invalid.yaml").read_text(encoding="utf-8")
    assert validate_specification(content) == validate_specification(content.encode())


def test_an_already_loaded_document_can_be_validated():
    document = {"deployAs": [{"name": "svc", "applicationType": "service"}]}
    assert validate_specification(document) == [SpecError("deployAs.0.endpoint", "Required")]


def test_spec_error_prints_its_path_in_brackets():
    assert str(SpecError("deployAs.0.endpoint", "Invalid")) == "[deployAs.0.endpoint]: Invalid"
    assert str(SpecError("", "Expected object, received null")) == (
        "[file content]: Expected object, received null"
    )


def test_errors_carry_the_line_of_the_offending_node():
    errors = validate_specification((CORPUS / "config-key-invalid.yaml").read_bytes())
    first = errors[0]
    assert first.path == "deployAs.0.configuration.standardConfiguration.0.key"
    assert first.line == 7  # "- key: my-key"


def test_unknown_key_errors_point_at_the_unknown_key():
    text = (
        "deployAs:\n  - name: svc\n    applicationType: service\n    endpoint: /s\n    runtime: x\n"
    )
    (error,) = validate_specification(text)
    assert str(error) == "[deployAs.0]: Unrecognized key(s) in object: 'runtime'"
    assert error.line == 5


def test_cross_application_errors_point_at_the_repeated_application():
    text = (
        "deployAs:\n"
        "  - name: app\n    applicationType: assets\n"
        "  - name: app\n    applicationType: assets\n"
    )
    (error,) = validate_specification(text)
    assert error.message == "Duplicate application name found: app"
    assert error.line == 4


def test_an_unreadable_file_is_one_error_for_the_whole_file():
    (error,) = validate_specification(b"deployAs:\n  - name: [unclosed\n")
    assert error.path == ""
    assert error.line is not None


def test_a_long_bad_endpoint_is_judged_without_catastrophic_backtracking():
    # The official pattern backtracks exponentially on this; ours must simply say "Invalid".
    endpoint = "/" + "a" * 5000 + "?"
    text = f"deployAs:\n  - name: svc\n    applicationType: service\n    endpoint: '{endpoint}'\n"
    assert [str(e) for e in validate_specification(text)] == ["[deployAs.0.endpoint]: Invalid"]
