"""Pydantic models at the HTTP edge only; the library returns plain data."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, with_config

from sanctiongraph.entities import EntityDescription


class ErrorOut(BaseModel):
    detail: object = Field(examples=["query is nested deeper than 32 levels"])


class EntityHit(BaseModel):
    entity: str = Field(examples=["https://w3id.org/sanctiongraph/id/entity/kp-bank"])
    id: str | None = Field(default=None, examples=["kp-bank"])
    name: str | None = Field(default=None, examples=["Example Pyong Bank"])


# ``GET /entities/{id}``: the library's record (entities.EntityDescription), named and
# illustrated for the OpenAPI schema. (A docstring would become its description.)
@with_config(
    ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entity": "https://w3id.org/sanctiongraph/id/entity/kp-bank-1",
                    "id": "kp-bank-1",
                    "names": ["Example Bank of Pyongyang"],
                    "kinds": [
                        {"iri": "https://w3id.org/sanctiongraph/ontology#Bank", "label": "bank"}
                    ],
                    "jurisdictions": [
                        {
                            "iri": "https://w3id.org/sanctiongraph/ref/country/KP",
                            "label": "North Korea",
                        }
                    ],
                    "designations": [],
                    "as_of": "2026-11-23",
                    "derived_classes": [
                        {
                            "iri": "https://w3id.org/sanctiongraph/ontology#NorthKoreanBankingInstitution",
                            "label": "North Korean banking institution",
                        }
                    ],
                }
            ]
        }
    )
)
class EntityOut(EntityDescription):
    pass


class ChainLink(BaseModel):
    model_config = ConfigDict(extra="allow")
    owner: str
    owned: str
    percent: float | dict[str, float | None] | None = Field(
        default=None, description="A share in percent, or {min, max} for a band"
    )


class OwnersOut(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "entity": "kp-front-co",
                    "blocked": True,
                    "status": "blocked",
                    "blocked_share": 60.0,
                    "reasons": ["owned 60% in aggregate by blocked persons"],
                    "chains": [[{"owner": "kp-bank-1", "owned": "kp-front-co", "percent": 60.0}]],
                }
            ]
        },
    )

    entity: str
    blocked: bool
    status: str = Field(examples=["blocked", "possibly_blocked", "not_blocked"])
    blocked_share: float | None = None
    reasons: list[dict[str, object] | str] = Field(
        description=(
            "The grounds of the status, each with a `kind`: `listing` (an SDN listing in "
            "force), `possible_listing` (a listing whose status is unknown on the date, "
            "publications disagreeing: the entity is possibly listed; `possibly_from`, "
            "`possibly_until` and a `note` in words), `blocked_by_law` (a rule that blocks "
            "without a listing), `office_of` (an office of a blocked institution), `office` "
            "(an office of it is blocked: possibly blocked), `ownership` (a counted holding of "
            "a blocked or possibly blocked owner) or `control` (a caution, unless a rule by "
            "operation of law counts control)"
        )
    )
    chains: list[list[ChainLink]]


class AccessPath(BaseModel):
    model_config = ConfigDict(extra="allow")
    hops: list[str]
    accounts: list[str]
    reaches_us: bool


class AccessPathsOut(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "entity": "kp-bank-1",
                    "paths": [
                        {
                            "hops": ["kp-bank-1", "cn-bank-2"],
                            "accounts": ["acc-7"],
                            "reaches_us": True,
                        }
                    ],
                    "truncated": False,
                }
            ]
        },
    )
    entity: str
    paths: list[AccessPath]
    truncated: bool = Field(
        default=False,
        description=(
            "True when the walk stopped at a bound (10,000 paths, about 5 MB of JSON, 5 s) "
            "with paths left to list; the paths listed are then the first of the walk."
        ),
    )


class GraphCount(BaseModel):
    graph: str
    triples: int


class QuerySettingsOut(BaseModel):
    """How the SPARQL endpoint is bounded (``Settings``; nothing secret)."""

    query_workers: int
    query_queue: int
    query_per_client: int
    query_memory_mb: int | None
    query_deadline_seconds: float
    max_query_length: int
    max_nesting_depth: int
    max_query_terms: int
    max_chain_length: int
    max_result_rows: int
    max_result_bytes: int


class HealthOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "derived_as_of": "2026-11-23",
                    "graphs": [
                        {"graph": "https://w3id.org/sanctiongraph/graph/ontology", "triples": 2875}
                    ],
                }
            ]
        }
    )
    status: str
    derived_as_of: str | None = Field(
        default=None,
        description=("Left out, with graphs, when reads need the API key and none was given"),
    )
    graphs: list[GraphCount] = Field(default_factory=list)
    settings: QuerySettingsOut | None = None


class FindingOut(BaseModel):
    severity: str
    citation: str | None
    focus: str
    id: str | None
    message: str
    shape: str
    evidence: list[str]


class InputErrorOut(BaseModel):
    file: str
    row: int | None
    column: str | None
    message: str


class RuleCheckOut(BaseModel):
    rule: str
    name: str
    citation: str
    verification: str | None
    applied: bool
    findings: int
    note: str | None


class ReportOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "conforms": False,
                    "as_of": "2026-11-23",
                    "errors": [],
                    "findings": [
                        {
                            "severity": "violation",
                            "citation": "31 CFR 1010.659(b)(1)",
                            "focus": "https://w3id.org/sanctiongraph/id/account/acc-1",
                            "id": "acc-1",
                            "message": "...",
                            "shape": "https://w3id.org/...",
                            "evidence": ["acc-1", "kp-bank-1"],
                        }
                    ],
                }
            ]
        }
    )
    conforms: bool
    as_of: str
    findings: list[FindingOut]
    errors: list[InputErrorOut]
    rules_checked: list[RuleCheckOut] = []


class LoadOut(BaseModel):
    graph: str
    triples: int
    derived_as_of: str
