"""The acceptance level: lenient with real-world files, strict about what the API needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.errors import ConnectorSpecificationFileNotValid
from connectors.spec.acceptance import AcceptedSpecification, read_specification

CORPUS = Path(__file__).parent / "corpus"


def read(name: str) -> AcceptedSpecification:
    return read_specification((CORPUS / name).read_bytes())


@pytest.mark.parametrize(
    "name",
    [
        "config-secured-with-default.yaml",
        "service-with-schedule-properties.yaml",
        "mc-app-without-required.yaml",
        "valid-secured-configuration-empty-list.yaml",
        "config-standard-empty.yaml",
        "config-default-number.yaml",
        "config-required-not-boolean.yaml",
        "config-null.yaml",
        "app-duplicate-names.yaml",
    ],
)
def test_loose_files_seen_in_published_connectors_are_accepted(name):
    accepted = read(name)
    assert accepted.applications


def test_configurations_are_extracted_in_the_api_shape():
    accepted = read("valid-starter-template.yaml")
    service, event, job, mc_app = accepted.configurations
    assert service == {
        "applicationName": "service",
        "applicationType": "service",
        "standardConfiguration": [
            {
                "key": "CTP_REGION",
                "description": "commercetools Composable Commerce API region",
                "default": "europe-west1.gcp",
                "required": True,
            }
        ],
        "securedConfiguration": [
            {
                "key": "CTP_PROJECT_KEY",
                "description": "commercetools Composable Commerce project key",
                "required": True,
            },
            {
                "key": "CTP_CLIENT_ID",
                "description": "commercetools Composable Commerce client ID",
                "required": True,
            },
        ],
    }
    assert job == {
        "applicationName": "job",
        "applicationType": "job",
        "standardConfiguration": [],
        "securedConfiguration": [],
    }
    assert accepted.api_client == {"scopes": ["manage_orders", "view_products"]}
    assert accepted.global_configuration is None


def test_optional_fields_that_are_absent_are_omitted():
    accepted = read("valid-secured-configuration-empty-list.yaml")
    (service,) = accepted.configurations
    assert service["standardConfiguration"] == [{"key": "LOG_LEVEL", "description": "Log level"}]


def test_mc_app_is_reported_as_merchant_center_custom_application():
    accepted = read("valid-mc-app.yaml")
    assert accepted.applications == [("mc-app", "merchant-center-custom-application")]
    assert accepted.configurations[0]["applicationType"] == "merchant-center-custom-application"


def test_a_default_on_a_secured_key_is_dropped():
    (service,) = read("config-secured-with-default.yaml").configurations
    assert service["securedConfiguration"] == [{"key": "API_KEY", "description": "API key"}]


def test_a_default_written_as_a_number_is_kept_as_text():
    (service,) = read("config-default-number.yaml").configurations
    assert service["standardConfiguration"][0]["default"] == "10"


def test_a_required_flag_that_is_not_a_boolean_is_left_out():
    (service,) = read("config-required-not-boolean.yaml").configurations
    assert "required" not in service["standardConfiguration"][0]


def test_global_configuration_and_api_client_come_from_inherit_as():
    accepted = read("valid-global-configuration.yaml")
    assert accepted.global_configuration == {
        "standardConfiguration": [
            {"key": "CTP_REGION", "description": "Region", "default": "europe-west1.gcp"}
        ],
        "securedConfiguration": [
            {"key": "CTP_CLIENT_SECRET", "description": "Client secret", "required": True}
        ],
    }
    assert accepted.api_client is None


def test_a_global_configuration_keeps_only_the_lists_it_has():
    text = (
        "inheritAs:\n  configuration:\n    securedConfiguration:\n"
        "      - key: TOKEN\n        description: token\n"
        "deployAs:\n  - name: assets\n    applicationType: assets\n"
    )
    accepted = read_specification(text)
    assert accepted.global_configuration == {
        "securedConfiguration": [{"key": "TOKEN", "description": "token"}]
    }


def test_assets_have_empty_configurations():
    accepted = read("valid-assets-only.yaml")
    assert accepted.configurations == [
        {
            "applicationName": "assets",
            "applicationType": "assets",
            "standardConfiguration": [],
            "securedConfiguration": [],
        }
    ]


def test_the_result_is_frozen():
    accepted = read("valid-minimal-service.yaml")
    with pytest.raises(AttributeError):
        accepted.applications = []  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "must be a mapping"),
        ("- a\n- b\n", "must be a mapping"),
        ("inheritAs: {}\n", "[deployAs]: a list of applications is required"),
        ("deployAs:\n", "[deployAs]: a list of applications is required"),
        ("deployAs:\n  - just-a-name\n", "[deployAs.0]: each application must be a mapping"),
        (
            "deployAs:\n  - applicationType: service\n",
            "[deployAs.0.name]: a missing value is not a valid application name",
        ),
        (
            "deployAs:\n  - name: ok-name\n    applicationType: assets\n"
            "  - name: bad name\n    applicationType: assets\n",
            "[deployAs.1.name]: 'bad name' is not a valid application name",
        ),
        (
            "deployAs:\n  - name: svc\n    applicationType: api\n",
            "[deployAs.0.applicationType]: 'api' is not a known application type",
        ),
        (
            "deployAs:\n  - name: svc\n    applicationType: unknown\n    endpoint: /x\n",
            "[deployAs.0.applicationType]: 'unknown' is not a known application type",
        ),
    ],
)
def test_what_the_api_needs_is_required_and_the_message_says_where(text, expected):
    with pytest.raises(ConnectorSpecificationFileNotValid) as caught:
        read_specification(text)
    assert expected in caught.value.message
    assert caught.value.code == "ConnectorSpecificationFileNotValid"


def test_a_file_that_is_not_yaml_is_not_valid():
    with pytest.raises(ConnectorSpecificationFileNotValid, match="not a readable YAML file"):
        read_specification(b"deployAs:\n  - name: 'unclosed\n")


def test_a_duplicate_key_makes_the_file_not_valid():
    with pytest.raises(ConnectorSpecificationFileNotValid, match="Map keys must be unique"):
        read_specification("deployAs: []\ndeployAs: []\n")


def test_an_alias_bomb_is_not_valid():
    bomb = (CORPUS / "yaml-alias-bomb.yaml").read_bytes()
    with pytest.raises(ConnectorSpecificationFileNotValid, match="used too often"):
        read_specification(bomb)
