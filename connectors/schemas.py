"""Request and response shapes of the Connect API, as pydantic models.

The request models validate what callers send (the API, the pages and the admin all
parse through them); the response models document what we return and let the tests
check every response against the published schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from .values import (
    EMAIL_PATTERN,
    INTEGRATION_TYPES,
    KEY_PATTERN,
    MAX_INT32,
    PROJECT_IDENTIFIER_PATTERN,
    REGIONS,
    WEB_URL_PATTERN,
    has_url_credentials,
)

# Free text: anything but NUL, which PostgreSQL cannot store.
TEXT_PATTERN = r"^[^\x00]*$"


def _entire(pattern: str) -> AfterValidator:
    """Python's ``$`` also matches before a final newline: "key\\n" must not pass as "key"."""

    def check(value: str) -> str:
        if value.endswith("\n"):
            raise PydanticCustomError(
                "string_pattern_mismatch",
                "String should match pattern '{pattern}'",
                {"pattern": pattern},
            )
        return value

    return AfterValidator(check)


def _without_credentials(url: str) -> str:
    if has_url_credentials(url):
        # The message never repeats the URL: its user part is the secret.
        raise PydanticCustomError(
            "repository_url_credentials",
            "The repository URL must not contain credentials (a user name or password before "
            "'@'); use an SSH URL such as git@github.com:owner/repository.git with a deploy key "
            "for a private repository",
        )
    return url


Region = Literal[REGIONS]  # type: ignore[valid-type]
IntegrationType = Literal[INTEGRATION_TYPES]  # type: ignore[valid-type]
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN), _entire(KEY_PATTERN)]
Email = Annotated[
    str, StringConstraints(pattern=EMAIL_PATTERN, max_length=320), _entire(EMAIL_PATTERN)
]
ProjectIdentifier = Annotated[
    str,
    StringConstraints(pattern=PROJECT_IDENTIFIER_PATTERN, max_length=300),
    _entire(PROJECT_IDENTIFIER_PATTERN),
]
NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=256, pattern=TEXT_PATTERN)]
Url = Annotated[
    str, StringConstraints(max_length=2048, pattern=WEB_URL_PATTERN), _entire(WEB_URL_PATTERN)
]
Text = Annotated[str, StringConstraints(max_length=65536, pattern=TEXT_PATTERN)]
Comment = Annotated[str, StringConstraints(min_length=1, max_length=10000, pattern=TEXT_PATTERN)]
Int32 = Annotated[int, Field(ge=1, le=MAX_INT32)]
# Repository url and tag patterns depend on settings; repositories.validate_* checks them.
RepositoryUrl = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2048, pattern=TEXT_PATTERN),
    AfterValidator(_without_credentials),
]
RepositoryTag = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class StrictInput(BaseModel):
    """Request bodies: strict JSON types, patterns checked with Python's ``re``."""

    model_config = ConfigDict(strict=True, extra="forbid", regex_engine="python-re")


# --- request bodies ------------------------------------------------------------------------


class CreatorDraft(StrictInput):
    model_config = ConfigDict(extra="ignore")

    name: NonEmpty | None = None
    title: NonEmpty | None = None
    email: Email
    company: NonEmpty | None = None
    logoUrl: Url | None = None
    noOfContributors: Int32 | None = None
    supportUrl: Url | None = None


class RepositoryDraft(StrictInput):
    model_config = ConfigDict(extra="ignore")

    url: RepositoryUrl
    tag: RepositoryTag


class ConnectorStagedDraft(StrictInput):
    """POST /connectors/drafts. Read-only fields in the body are ignored, as the real API does."""

    model_config = ConfigDict(extra="ignore")

    key: Key | None = None
    name: NonEmpty
    description: Text | None = None
    integrationTypes: list[IntegrationType] | None = None
    creator: CreatorDraft
    repository: RepositoryDraft
    supportedRegions: list[Region] | None = None
    privateProjects: list[ProjectIdentifier] | None = None
    documentationUrl: Url | None = None


class SetName(StrictInput):
    action: Literal["setName"]
    name: NonEmpty


class SetDescription(StrictInput):
    action: Literal["setDescription"]
    description: Text | None = None


class SetRepository(StrictInput):
    action: Literal["setRepository"]
    url: RepositoryUrl | None = None
    tag: RepositoryTag


class SetSupportedRegions(StrictInput):
    action: Literal["setSupportedRegions"]
    regions: Annotated[list[Region], Field(min_length=1)]


class SetDocumentationUrl(StrictInput):
    action: Literal["setDocumentationUrl"]
    documentationUrl: Url | None = None


class SetIntegrationTypes(StrictInput):
    action: Literal["setIntegrationTypes"]
    integrationTypes: list[IntegrationType]


class SetCreatorName(StrictInput):
    action: Literal["setCreatorName"]
    creatorName: NonEmpty | None = None


class SetCreatorTitle(StrictInput):
    action: Literal["setCreatorTitle"]
    creatorTitle: NonEmpty | None = None


class SetCreatorEmail(StrictInput):
    action: Literal["setCreatorEmail"]
    creatorEmail: Email


class SetCreatorCompany(StrictInput):
    action: Literal["setCreatorCompany"]
    creatorCompany: NonEmpty | None = None


class SetCreatorNoOfContributors(StrictInput):
    action: Literal["setCreatorNoOfContributors"]
    creatorNoOfContributors: Int32


class SetCreatorSupportUrl(StrictInput):
    action: Literal["setCreatorSupportUrl"]
    creatorSupportUrl: Url | None = None


class SetCreatorLogo(StrictInput):
    action: Literal["setCreatorLogo"]
    logoUrl: Url | None = None


class AddPrivateProject(StrictInput):
    action: Literal["addPrivateProject"]
    privateProject: ProjectIdentifier


class RemovePrivateProject(StrictInput):
    action: Literal["removePrivateProject"]
    privateProject: ProjectIdentifier


class UpdatePreviewable(StrictInput):
    action: Literal["updatePreviewable"]


class Publish(StrictInput):
    action: Literal["publish"]
    certification: bool  # required, as the real action requires it


class Unlist(StrictInput):
    action: Literal["unlist"]


class AddCertificationComment(StrictInput):
    action: Literal["addCertificationComment"]
    comment: Comment


UPDATE_ACTION_MODELS: tuple[type[StrictInput], ...] = (
    SetName,
    SetDescription,
    SetRepository,
    SetSupportedRegions,
    SetDocumentationUrl,
    SetIntegrationTypes,
    SetCreatorName,
    SetCreatorTitle,
    SetCreatorEmail,
    SetCreatorCompany,
    SetCreatorNoOfContributors,
    SetCreatorSupportUrl,
    SetCreatorLogo,
    AddPrivateProject,
    RemovePrivateProject,
    UpdatePreviewable,
    Publish,
    Unlist,
    AddCertificationComment,
)

UpdateAction = Annotated[
    SetName
    | SetDescription
    | SetRepository
    | SetSupportedRegions
    | SetDocumentationUrl
    | SetIntegrationTypes
    | SetCreatorName
    | SetCreatorTitle
    | SetCreatorEmail
    | SetCreatorCompany
    | SetCreatorNoOfContributors
    | SetCreatorSupportUrl
    | SetCreatorLogo
    | AddPrivateProject
    | RemovePrivateProject
    | UpdatePreviewable
    | Publish
    | Unlist
    | AddCertificationComment,
    Field(discriminator="action"),
]


class ConnectorStagedUpdate(StrictInput):
    """POST /connectors/drafts/{id}: the expected version and the actions to apply."""

    version: Int32
    actions: Annotated[list[UpdateAction], Field(min_length=1, max_length=500)]


# --- responses -----------------------------------------------------------------------------


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Creator(Output):
    name: str | None = None
    title: str | None = None
    email: str
    company: str | None = None
    logoUrl: str | None = None
    noOfContributors: int | None = None
    supportUrl: str | None = None


class Repository(Output):
    url: str
    tag: str


class StandardConfigurationKey(Output):
    key: str
    description: str | None = None
    default: str | None = None
    required: bool | None = None


class SecuredConfigurationKey(Output):
    key: str
    description: str | None = None
    required: bool | None = None


class ConnectorConfigurationApplication(Output):
    applicationName: str
    applicationType: str
    standardConfiguration: list[StandardConfigurationKey]
    securedConfiguration: list[SecuredConfigurationKey]


class ConnectorGlobalConfiguration(Output):
    standardConfiguration: list[StandardConfigurationKey] | None = None
    securedConfiguration: list[SecuredConfigurationKey] | None = None


class ConnectorApiClient(Output):
    scopes: list[str]


class CertificationInfoComment(Output):
    userId: str
    datetime: str
    comment: str


class CertificationInfo(Output):
    comments: list[CertificationInfoComment]


class ConnectorReportEntry(Output):
    type: Literal["Information", "Warning", "Error"]
    title: str
    message: str | None = None
    createdAt: str
    application: str | None = None
    file: str | None = None
    line: int | None = None


class ConnectorReport(Output):
    entries: list[ConnectorReportEntry]


class ConnectorStaged(Output):
    id: str
    key: str | None = None
    version: int
    name: str
    description: str | None = None
    integrationTypes: list[str]
    creator: Creator
    repository: Repository
    configurations: list[ConnectorConfigurationApplication]
    globalConfiguration: ConnectorGlobalConfiguration | None = None
    apiClient: ConnectorApiClient | None = None
    private: bool
    privateProjects: list[str]
    supportedRegions: list[str]
    certificationInfo: CertificationInfo | None = None
    status: Literal[
        "Draft", "Processing", "ReadyForCertification", "InCertification", "Published", "Failed"
    ]
    publishingReport: ConnectorReport | None = None
    alreadyListed: bool
    hasChanges: bool
    isPreviewable: Literal["none", "pending", "true", "false"]
    previewableReport: ConnectorReport | None = None
    documentationUrl: str | None = None
    createdAt: str
    lastModifiedAt: str


class Connector(Output):
    id: str
    key: str | None = None
    version: int
    name: str
    description: str | None = None
    integrationTypes: list[str]
    creator: Creator
    repository: Repository
    configurations: list[ConnectorConfigurationApplication] | None = None
    globalConfiguration: ConnectorGlobalConfiguration | None = None
    apiClient: ConnectorApiClient | None = None
    private: bool
    supportedRegions: list[str]
    certified: bool
    documentationUrl: str | None = None
    createdAt: str
    lastModifiedAt: str


class ConnectorStagedPagedQueryResponse(Output):
    limit: int
    offset: int
    count: int
    total: int
    results: list[ConnectorStaged]


class ConnectorPagedQueryResponse(Output):
    limit: int
    offset: int
    count: int
    total: int
    results: list[Connector]


class ErrorObject(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str
    message: str


class ErrorResponse(Output):
    statusCode: int
    message: str
    errors: list[ErrorObject]
    error: str | None = None
    error_description: str | None = None


def as_plain(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)
