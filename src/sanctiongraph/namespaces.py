"""IRIs used everywhere in sanctiongraph.

``SG`` is a closed namespace: a typo such as ``SG.maintainedby`` raises
``AttributeError`` instead of minting a new IRI.  ``tests/test_namespaces.py``
checks that the terms listed here are exactly the terms the ontology declares.
"""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import DefinedNamespace, Namespace

BASE = "https://w3id.org/sanctiongraph/"
ONTOLOGY_IRI = BASE + "ontology"

ID = Namespace(BASE + "id/")  # instance data from data packages
REF = Namespace(BASE + "ref/")  # curated reference data
GRAPH = Namespace(BASE + "graph/")  # named graphs of the store
SHAPES = Namespace(BASE + "shapes/")  # shapes, one sub-namespace per rule folder
CODE = Namespace(ONTOLOGY_IRI + "/code/")  # code-list individuals declared in the ontology
GL = Namespace(
    ONTOLOGY_IRI + "/gl/"
)  # general licenses and their conditions (ontology/license.ttl)

ECFR_TITLE_31 = "https://www.ecfr.gov/current/title-31/"


def country(code: str) -> URIRef:
    """The reference-data IRI of an ISO 3166-1 alpha-2 country code."""
    return REF[f"country/{code}"]


def code(scheme: str, value: str) -> URIRef:
    """The IRI of a code-list individual, e.g. ``code("purpose", "food")``."""
    return CODE[f"{scheme}/{value}"]


def provision(citation: str) -> URIRef:
    """The registry IRI of a provision, from its citation string.

    ``31 CFR 561.203(c)(1)`` becomes ``ref/provision/31-CFR-561.203-c-1``;
    ``OFAC 50 Percent Rule`` becomes ``ref/provision/OFAC-50-Percent-Rule``.
    """
    slug = citation.replace(" ", "-").replace(")(", "-").replace("(", "-").replace(")", "")
    return REF[f"provision/{slug}"]


class SG(DefinedNamespace):
    """The sanctiongraph ontology vocabulary."""

    _fail = True
    _NS = Namespace(ONTOLOGY_IRI + "#")

    # --- core: agents and jurisdictions -------------------------------------
    Agent: URIRef
    Person: URIRef
    Organization: URIRef
    LegalEntity: URIRef
    Company: URIRef
    NonGovernmentalOrganization: URIRef
    NewsOrganization: URIRef
    PoliticalParty: URIRef
    Government: URIRef
    GovernmentBody: URIRef
    Authority: URIRef
    GovernmentFunction: URIRef
    Jurisdiction: URIRef
    Country: URIRef
    CodeScheme: URIRef
    jurisdiction: URIRef
    locatedIn: URIRef
    governs: URIRef
    hasFunction: URIRef
    code: URIRef
    isoAlpha3: URIRef
    isoNumeric: URIRef
    lei: URIRef
    bic: URIRef
    leiChecksumValid: URIRef

    # --- finance: institutions and accounts ---------------------------------
    FinancialInstitution: URIRef
    Bank: URIRef
    CentralBank: URIRef
    NonBankFinancialInstitution: URIRef
    Office: URIRef
    USFinancialInstitution: URIRef
    ForeignFinancialInstitution: URIRef
    ForeignBank: URIRef
    NorthKoreanBankingInstitution: URIRef
    NorthKoreanFinancialInstitution: URIRef
    CoveredFinancialInstitution: URIRef
    branchOf: URIRef
    Account: URIRef
    CorrespondentAccount: URIRef
    PayableThroughAccount: URIRef
    SpecialPurposeAccount: URIRef
    DepositAccount: URIRef
    maintainedBy: URIRef
    heldBy: URIRef
    accountLocatedIn: URIRef
    openedOn: URIRef
    closedOn: URIRef
    noticeSentOn: URIRef
    noticeRecord: URIRef

    # --- ownership and control ----------------------------------------------
    Holding: URIRef
    Ownership: URIRef
    Control: URIRef
    owner: URIRef
    owned: URIRef
    percent: URIRef
    percentMin: URIRef
    percentMax: URIRef
    startDate: URIRef
    endDate: URIRef
    BlockedEntity: URIRef
    PossiblyBlockedEntity: URIRef
    BlockingReason: URIRef
    blockingReason: URIRef
    blockedOwner: URIRef
    viaHolding: URIRef
    viaDesignation: URIRef
    blockedShare: URIRef
    blockedShareMax: URIRef
    blockedUnderProgram: URIRef
    blockingSection: URIRef
    blockedParty: URIRef
    possiblyBlockedParty: URIRef
    possiblyInForce: URIRef
    statusExplanation: URIRef
    partyStatus: URIRef
    PartyStatus: URIRef
    statusOf: URIRef
    BlockingByLaw: URIRef
    blocksAgent: URIRef
    blocksGovernmentOf: URIRef
    blocksOwnedOrControlled: URIRef
    ownedOrControlledSource: URIRef
    blocksPartyOf: URIRef
    unverifiedStartDate: URIRef
    viaRule: URIRef
    viaOffice: URIRef

    # --- lists, designations and determinations -----------------------------
    SanctionsList: URIRef
    SanctionsProgram: URIRef
    Designation: URIRef
    CaptaMeasure: URIRef
    StrictCondition: URIRef
    NoTradeFinanceCondition: URIRef
    AllowedTypesCondition: URIRef
    MonetaryLimitCondition: URIRef
    VolumeLimitCondition: URIRef
    limitCount: URIRef
    limitPeriodDays: URIRef
    exceedsVolumeLimit: URIRef
    possiblyExceedsVolumeLimit: URIRef
    PreApprovalCondition: URIRef
    NoForeignExchangeCondition: URIRef
    Determination: URIRef
    SignificantReductionException: URIRef
    PetroleumSupplySufficiency: URIRef
    designates: URIRef
    onList: URIRef
    underProgram: URIRef
    measure: URIRef
    hasCondition: URIRef
    allowedPurpose: URIRef
    limitAmount: URIRef
    country: URIRef
    sourceReference: URIRef

    # --- published lists: provenance of imported facts (imports/) ----------
    Publication: URIRef
    PublishedFile: URIRef
    Alias: URIRef
    Identifier: URIRef
    ListLink: URIRef
    DateBasis: URIRef
    publicationOf: URIRef
    fileName: URIRef
    publishedOn: URIRef
    sha256: URIRef
    companionFile: URIRef
    fromPublication: URIRef
    entryNumber: URIRef
    aliasOf: URIRef
    aliasKind: URIRef
    weakAlias: URIRef
    identifies: URIRef
    identifierScheme: URIRef
    identifierValue: URIRef
    identifierCountry: URIRef
    linkFrom: URIRef
    linkTo: URIRef
    startBasis: URIRef
    endBasis: URIRef
    possiblyFrom: URIRef
    possiblyUntil: URIRef
    possiblyFromWords: URIRef
    possiblyUntilWords: URIRef
    citedAs: URIRef

    # --- links between a user's entities and list entries (derive/links.py) --
    sameAsEntry: URIRef
    notSameAsEntry: URIRef
    imo: URIRef
    PartyLink: URIRef
    linkedParty: URIRef
    listEntry: URIRef
    linkBasis: URIRef
    sameParty: URIRef
    viaLink: URIRef
    PossibleMatch: URIRef
    possibleMatchOf: URIRef
    matchedEntry: URIRef
    matchedName: URIRef
    matchScore: URIRef

    # --- transactions --------------------------------------------------------
    Transaction: URIRef
    TransactionPurpose: URIRef
    transactionDate: URIRef
    throughAccount: URIRef
    involves: URIRef
    conductedBy: URIRef
    originator: URIRef
    beneficiary: URIRef
    originatorInstitution: URIRef
    beneficiaryInstitution: URIRef
    intermediary: URIRef
    counterparty: URIRef
    purpose: URIRef
    amount: URIRef
    currency: URIRef
    knowingly: URIRef
    significant: URIRef
    goodsOrigin: URIRef
    goodsDestination: URIRef
    paidTo: URIRef
    creditedTo: URIRef
    preApproved: URIRef

    # --- 31 CFR 561.203 exposure assessments (derive/ifsr_561_203.py) ----------------
    ExposureAssessment: URIRef
    assessedTransaction: URIRef
    assessedInstitution: URIRef
    iranianParty: URIRef
    ownershipCategory: URIRef
    exposedUnder: URIRef
    exceptedUnder: URIRef
    exceptionNotMet: URIRef
    possiblyBecause: URIRef
    missingFact: URIRef

    # --- licenses, activities and items -------------------------------------
    License: URIRef
    GeneralLicense: URIRef
    SpecificLicense: URIRef
    Activity: URIRef
    ActivityKind: URIRef
    ActivityCategory: URIRef
    EducationLevel: URIRef
    EducationSubject: URIRef
    Item: URIRef
    ItemCategory: URIRef
    CommerceAuthorization: URIRef
    UNExemptionStatus: URIRef
    StateDepartmentReport: URIRef
    Objection: URIRef
    actor: URIRef
    activityKind: URIRef
    category: URIRef
    educationLevel: URIRef
    subject: URIRef
    partner: URIRef
    partnershipNeededForItems: URIRef
    item: URIRef
    startOn: URIRef
    hasReport: URIRef
    hasObjection: URIRef
    submittedOn: URIRef
    objectedOn: URIRef
    unExemption: URIRef
    commercial: URIRef
    description: URIRef
    itemCategory: URIRef
    subjectToEAR: URIRef
    classification: URIRef
    luxury: URIRef
    excludedDevice: URIRef
    endUser: URIRef
    commerceAuthorization: URIRef
    # general licenses, their conditions and derived assessments (derive/nksr_510.py)
    LicenseCondition: URIRef
    LicenseAssessment: URIRef
    LicenseOutcome: URIRef
    licenseCondition: URIRef
    citesProvision: URIRef
    conditionOrder: URIRef
    forActivityKind: URIRef
    allowedCode: URIRef
    excludedCode: URIRef
    onlyForItemCategory: URIRef
    minimumDaysBefore: URIRef
    windowDays: URIRef
    sharePercentAtLeast: URIRef
    assessedActivity: URIRef
    assessedLicense: URIRef
    unmetCondition: URIRef
    firstUnmetCondition: URIRef
    unmetCount: URIRef
    unmetSummary: URIRef
    authorized: URIRef
    outsideModeledVersion: URIRef
    employedBy: URIRef

    # --- legal provisions ----------------------------------------------------
    LegalProvision: URIRef
    VerificationStatus: URIRef
    citation: URIRef
    officialText: URIRef
    effectiveFrom: URIRef
    effectiveUntil: URIRef
    ProvisionVersion: URIRef
    versionInForce: URIRef
    verification: URIRef
    partOf: URIRef
    issuedBy: URIRef
    asOf: URIRef
    derivationComplete: URIRef
    Rule: URIRef
    ruleKey: URIRef
    implements: URIRef
    readsData: URIRef
    evidence: URIRef

    # --- Section 311 special measures as data (derive/fincen_311_dprk.py) ----------
    SpecialMeasure: URIRef
    MeasureRequirement: URIRef
    AccountProhibition: URIRef
    AccountTermination: URIRef
    TransactionProhibition: URIRef
    NotificationRequirement: URIRef
    UseIdentificationRequirement: URIRef
    UseInvestigationRequirement: URIRef
    NotificationRecordRequirement: URIRef
    TargetPopulation: URIRef
    JurisdictionBankPopulation: URIRef
    JurisdictionFinancialInstitutionPopulation: URIRef
    NamedInstitutionPopulation: URIRef
    legalBasis: URIRef
    targetJurisdiction: URIRef
    targetInstitution: URIRef
    hasRequirement: URIRef
    definesPopulation: URIRef
    appliesTo: URIRef
    populationClass: URIRef
    correspondentHolderClass: URIRef
    subsidiaryAbove: URIRef
    inForceOn: URIRef
    Classification: URIRef
    classifiedEntity: URIRef
    assignedClass: URIRef
    inPopulation: URIRef
    rootInstitution: URIRef
    evidencePath: URIRef
    DatedMembership: URIRef
    PossibleDatedMembership: URIRef
    PossibleClassification: URIRef
    MaintainedPeriod: URIRef
    PossibleMaintainedPeriod: URIRef
    periodAccount: URIRef
    periodPopulation: URIRef
    periodFrom: URIRef
    periodUntil: URIRef
    periodEvidence: URIRef
    divestedBelowHalfOn: URIRef
    memberEntity: URIRef
    memberOfPopulation: URIRef
    membershipDate: URIRef
    membershipEvidence: URIRef
    ownedPercentAtLeast: URIRef
    captaAuthority: URIRef
    captaOpeningDuty: URIRef
    captaMaintainingDuty: URIRef
    captaConditionDuty: URIRef
    captaProgram: URIRef
    captaOpeningMeasure: URIRef
    captaDefaultAuthority: URIRef
    captaWindDown: URIRef
    captaWindDownEnd: URIRef
    windDownDays: URIRef
    soleProgramExcluded: URIRef
