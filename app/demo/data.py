"""Deterministic demo data for Nexus Graph (used by ``nexus seed``).

The demo company is **Corvid Agritech**, a fictional maker of autonomous field rovers
for row-crop farms and of FieldOS, the cloud platform that plans, dispatches and records
every rover job. The graph covers its people (a CEO, four executives, team leads,
managers and individual contributors), its teams, the services, databases and data
pipelines they run, the business-glossary concepts those systems encode and the products
sold to growers and dealers. Hubs worth exploring: ``team:platform``,
``database:core-db`` and ``service:auth-service``.

Everything is pure data: no I/O and no clock. The same seed always yields the same graph;
the seed only changes names, titles and the few probabilistic links, never the shape of
the company.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

COMPANY = "Corvid Agritech"
DOMAIN = "corvid-agritech.example"


@dataclass(frozen=True, slots=True)
class DemoEntity:
    key: str
    kind: str  # person, team, service, database, pipeline, concept, product
    name: str
    description: str
    tags: tuple[str, ...]
    properties: dict[str, Any]
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class DemoRelationship:
    source: str
    target: str
    type: str
    confidence: float = 1.0
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DemoGraph:
    company: str
    entities: tuple[DemoEntity, ...]
    relationships: tuple[DemoRelationship, ...]


# Tables are "|"-separated rows; an indented line is appended to the row above as one cell.
# Names default to the title-cased slug (see _title).
# slug|name|department|size|role|tags ; mission on the next line
TEAMS = """
platform|Platform Engineering|engineering|12|Platform Engineer|core,infra
  runs the shared runtime, CI and service mesh every other team builds on
fleet|Fleet Control|engineering|10|Robotics Engineer|robotics
  plans routes and dispatches work orders to rovers in the field
telemetry|Telemetry Ingest|engineering|8|Software Engineer|iot
  ingests and normalises the sensor frames streamed from every rover
mobile|Field Apps|engineering|8|Mobile Engineer|frontend
  builds the web and mobile apps used in tractor cabs and farm offices
identity|Identity & Access|engineering|6|Security Engineer|security
  owns login, SSO, permissions and the audit trail
billing|Billing & Payments|engineering|7|Software Engineer|finance
  turns subscriptions and usage into invoices and collected cash
sre|Site Reliability|engineering|7|Site Reliability Engineer|infra
  keeps production healthy through on-call, alerting and capacity planning
data-platform|Data Platform|data|9|Data Engineer|data
  operates the warehouse, the feature store and the batch pipelines feeding them
analytics|Analytics|data|8|Data Analyst|data
  produces the metrics and dashboards that leadership and customers rely on
ml|Agronomy Models|data|9|Machine Learning Engineer|ml
  trains the yield, weed-detection and prescription models
product|Product Management|product|7|Product Manager|product
  decides what ships and writes the requirements behind every release
design|Product Design|product|6|Product Designer|product,ux
  designs the operator, grower and dealer experiences
success|Customer Success|operations|10|Customer Success Manager|customer
  onboards growers and dealers and keeps them renewing
finance|Finance|operations|6|Financial Analyst|finance
  closes the books and reports revenue, margins and cash
field-ops|Field Operations|operations|9|Field Technician|hardware
  services, repairs and upgrades rovers deployed on farms
"""
EXECUTIVES = {
    "engineering": "VP of Engineering",
    "data": "VP of Data",
    "product": "Chief Product Officer",
    "operations": "VP of Operations",
}

# slug|team|language|tier|writes|product|tags|purpose (identity and platform rows come first)
SERVICES = """
auth-service|identity|Go|1|identity-db|fieldos|core,pii|issues and validates API access tokens
permissions-service|identity|Go|1|identity-db|fieldos|core|answers can-this-user-do-that checks
sso-bridge|identity|Java|2|identity-db|fieldos|pii|federates logins with dealer identity providers
audit-log|identity|Go|1|audit-db|fieldos|compliance|records who changed what, and when
config-service|platform|Go|1|platform-db|fieldos|core|serves versioned runtime configuration
feature-flags|platform|Go|1|platform-db|fieldos|core|evaluates rollout rules and kill switches
event-bus|platform|Go|1||fieldos|core|brokers domain events between services over Kafka
mesh-control|platform|Go|1|platform-db||core|pushes routing and mTLS policy to every sidecar
job-scheduler|platform|Kotlin|2|platform-db||infra|runs cron-style and delayed jobs for other teams
notification-service|platform|TypeScript|2|core-db|fieldos|pii|sends push, SMS and email alerts
search-service|platform|Java|2|search-index|fieldos||indexes fields, rovers and work orders
observability-gateway|sre|Go|1|metrics-tsdb||infra|collects metrics and traces from every service
incident-bot|sre|Python|3|||tooling|opens incident channels and pages the right on-call
status-page|sre|TypeScript|2|platform-db|fieldos|customer|tells customers what is broken
rover-registry|fleet|Kotlin|1|core-db|fleet-console|core|knows every rover, its owner and firmware
field-boundary-service|fleet|Kotlin|1|core-db|fieldos|core|stores field polygons and no-go zones
route-planner|fleet|Rust|1||fieldos|core|computes coverage paths that avoid overlap
geofence-service|fleet|Rust|1|core-db|fleet-console|safety|halts rovers that leave their field
work-order-service|fleet|Kotlin|1|core-db|fieldos|core|tracks planned, running and finished jobs
dispatch-service|fleet|Kotlin|1|core-db|fleet-console|core|assigns work orders to free rovers
firmware-ota|fleet|Go|1|firmware-store|fleet-console|safety|ships signed firmware over the air
teleop-relay|fleet|Rust|2||fleet-console|safety|streams video and controls for remote takeover
telemetry-ingest|telemetry|Rust|1|telemetry-lake|fieldos|core|accepts compressed sensor frames
telemetry-normalizer|telemetry|Rust|1|telemetry-tsdb||iot|turns raw frames into unit-checked series
battery-health|telemetry|Python|2||fleet-console|iot|predicts battery wear from charge cycles
diagnostics-service|telemetry|Python|2|core-db|fleet-console|iot|turns fault codes into advice
legacy-telemetry-v1|telemetry|Java|3|legacy-mysql||deprecated|serves the old polling API for R1s
mobile-bff|mobile|TypeScript|1||corvid-mobile|core|shapes API responses for the mobile app
offline-sync|mobile|Kotlin|2|core-db|corvid-mobile||reconciles edits made without connectivity
web-console|mobile|TypeScript|1||fleet-console|core|lets growers plan and monitor jobs online
billing-service|billing|Java|1|billing-db|fieldos|pii|turns subscriptions and usage into invoices
subscription-service|billing|Java|1|billing-db|fieldos||manages plans, seats and renewals
payments-gateway|billing|Java|1|billing-db|fieldos|pii,pci|charges cards and reconciles transfers
usage-metering|billing|Go|2|billing-db|fieldos||counts billable acres and rover-hours
tax-calculator|billing|Java|3|||deprecated|computes sales tax in-house until the vendor swap
feature-store-api|data-platform|Python|2|feature-store|yield-insights||serves features online
yield-model-api|ml|Python|2||yield-insights||serves per-field yield forecasts
weed-detection|ml|Python|1||spray-planner|core|tells crop from weed in camera frames
prescription-service|ml|Python|2|core-db|spray-planner||builds variable-rate prescription maps
insights-api|analytics|Python|2||yield-insights||serves aggregated metrics to dashboards
report-renderer|analytics|PHP|3|legacy-mysql|legacy-reports|deprecated|renders PDF season reports
crm-sync|success|Python|3|crm-db||pii|mirrors accounts and contacts into the CRM
support-portal|success|TypeScript|2|crm-db|dealer-portal||lets customers open and track tickets
dealer-api|success|Kotlin|2||dealer-portal||gives dealers scoped access to customer fleets
parts-ordering|field-ops|Kotlin|2|parts-db|dealer-portal||orders spare parts and tracks shipments
maintenance-scheduler|field-ops|Kotlin|2|core-db|fleet-console||plans technician visits
warranty-service|field-ops|Java|3|parts-db|dealer-portal||validates and pays out warranty claims
api-gateway|platform|Go|1||fieldos|core|terminates TLS and routes all public API traffic
"""

# Declared DEPENDS_ON edges, "service:dependency,dependency".
DEPENDS = """
permissions-service:auth-service sso-bridge:auth-service audit-log:event-bus
feature-flags:config-service event-bus:config-service mesh-control:config-service
job-scheduler:config-service,event-bus notification-service:event-bus,auth-service
search-service:event-bus,auth-service observability-gateway:config-service
incident-bot:notification-service,observability-gateway status-page:observability-gateway
rover-registry:auth-service,event-bus field-boundary-service:auth-service
route-planner:rover-registry,field-boundary-service geofence-service:field-boundary-service
geofence-service:rover-registry work-order-service:permissions-service,event-bus
dispatch-service:route-planner,job-scheduler,rover-registry,work-order-service
dispatch-service:notification-service firmware-ota:rover-registry,feature-flags
teleop-relay:auth-service,rover-registry telemetry-ingest:auth-service,event-bus
telemetry-normalizer:telemetry-ingest battery-health:telemetry-normalizer
diagnostics-service:telemetry-normalizer,rover-registry legacy-telemetry-v1:auth-service
mobile-bff:auth-service,work-order-service,rover-registry,notification-service,feature-flags
offline-sync:mobile-bff,work-order-service web-console:auth-service,search-service
web-console:work-order-service,rover-registry,insights-api,feature-flags
billing-service:auth-service,event-bus subscription-service:permissions-service
payments-gateway:billing-service usage-metering:event-bus,telemetry-normalizer
tax-calculator:billing-service feature-store-api:auth-service
yield-model-api:feature-store-api,field-boundary-service weed-detection:telemetry-ingest
weed-detection:feature-store-api prescription-service:yield-model-api,field-boundary-service
prescription-service:weed-detection insights-api:auth-service,yield-model-api
report-renderer:legacy-telemetry-v1 crm-sync:event-bus,subscription-service
support-portal:auth-service,crm-sync dealer-api:permissions-service,rover-registry
parts-ordering:dealer-api,payments-gateway warranty-service:rover-registry,billing-service
maintenance-scheduler:job-scheduler,diagnostics-service,rover-registry
api-gateway:auth-service,mesh-control,work-order-service,rover-registry,billing-service
api-gateway:search-service,dealer-api
"""

# slug|engine|team|tier|tags|contents
DATABASES = """
core-db|PostgreSQL|platform|1|core,pii|accounts, fields, rovers and work orders
identity-db|PostgreSQL|identity|1|pii,security|users, hashed credentials and sessions
platform-db|PostgreSQL|platform|1|infra|configuration, feature flags and scheduled jobs
billing-db|PostgreSQL|billing|1|finance,pii|invoices, subscriptions and payment records
audit-db|Cassandra|identity|1|compliance|append-only audit events kept for seven years
telemetry-lake|Iceberg on S3|telemetry|2|iot|raw rover sensor frames partitioned by day
telemetry-tsdb|TimescaleDB|telemetry|1|iot|normalised time series behind the fleet dashboards
metrics-tsdb|Prometheus|sre|1|infra|service metrics and alerting rules
search-index|OpenSearch|platform|2|infra|denormalised documents for full-text lookup
warehouse|Snowflake|data-platform|2|data,core|curated tables for reporting and model training
feature-store|Redis|data-platform|2|ml|online model features keyed by field and rover
model-registry|PostgreSQL|ml|2|ml|versions, metrics and lineage of trained models
firmware-store|S3|fleet|1|safety|signed firmware images and release manifests
crm-db|PostgreSQL|success|3|customer,pii|a copy of CRM accounts, contacts and tickets
parts-db|MySQL|field-ops|2|hardware|spare-parts inventory, parts orders and warranty claims
legacy-mysql|MySQL 5.6|analytics|3|deprecated|the original season-report tables
"""

# slug|team|schedule|reads|writes|tags|purpose
PIPELINES = """
telemetry-compaction|telemetry|hourly|telemetry-lake|telemetry-lake|iot|compacts small files
core-cdc|data-platform|streaming|core-db|warehouse|core,pii|replicates core tables via CDC
billing-extract|data-platform|daily|billing-db|warehouse|finance,pii|loads invoices and payments
telemetry-rollups|data-platform|hourly|telemetry-tsdb|warehouse|iot|sums rover-hours per field
crm-extract|data-platform|daily|crm-db|warehouse|customer|pulls accounts and tickets
feature-materializer|data-platform|hourly|warehouse,telemetry-tsdb|feature-store|ml|builds features
yield-training|ml|weekly|warehouse,feature-store|model-registry|ml|retrains the yield forecasts
weed-training|ml|weekly|telemetry-lake|model-registry|ml|retrains the weed classifier
revenue-metrics|analytics|daily|warehouse|warehouse|finance|computes ARR, NRR and churn
fleet-kpis|analytics|daily|warehouse,telemetry-tsdb|warehouse|core|computes rover uptime
customer-health|analytics|daily|warehouse,crm-db|crm-db|customer|scores accounts for renewal risk
search-reindex|platform|nightly|core-db|search-index|infra|rebuilds the search index
audit-export|identity|daily|audit-db|warehouse|compliance|exports audit events for auditors
legacy-etl|analytics|nightly|legacy-mysql,core-db|legacy-mysql|deprecated|feeds old season reports
parts-forecast|field-ops|weekly|parts-db,warehouse|parts-db|hardware|forecasts parts demand
pii-erasure|identity|daily|identity-db,crm-db|identity-db,crm-db,core-db|pii|erases closed accounts
"""

# slug|steward team|defined by|tags|definition
CONCEPTS = """
customer-account|success||core|A grower, cooperative or dealer holding a contract with Corvid.
grower|success|customer-account|pii|A farming business that runs Corvid rovers on its own land.
dealer|success|customer-account||An authorised reseller that sells and services rovers.
operator|mobile|grower|pii|A person permitted to supervise rovers from the cab or the app.
field|fleet||core|A named, bounded piece of land that work is planned against.
field-boundary|fleet|field||The polygon and exclusion zones that limit where a rover may drive.
geofence|fleet|field-boundary|safety|A virtual fence that halts a rover leaving its permitted area.
rover|fleet||core|A single autonomous field robot identified by its serial number.
fleet|fleet|rover||All rovers belonging to one customer account.
active-rover|analytics|rover|metric|A rover that finished a work order in the trailing 30 days.
rover-uptime|analytics|active-rover|metric|The share of scheduled hours a rover was able to work.
work-order|fleet||core|A planned job such as spraying, seeding or scouting on one field.
route-plan|fleet|work-order||The ordered coverage path a rover follows to finish a work order.
acres-covered|analytics|work-order|metric|The area rovers actually treated, net of overlap.
telemetry-frame|telemetry||iot|One timestamped bundle of sensor readings sent by a rover.
fault-code|telemetry|telemetry-frame|iot|A standardised error identifier emitted by rover firmware.
battery-health|telemetry|telemetry-frame|iot|Remaining battery capacity relative to a new pack.
firmware-release|fleet|rover|safety|A signed, versioned bundle of rover software cleared to ship.
subscription|billing|customer-account|finance|The plan, term and seat count an account pays for.
invoice|billing|subscription|finance,pii|A bill issued to a customer account for one period.
billable-acre|billing|acres-covered|finance|An acre covered under a usage-priced plan.
arr|finance|subscription|finance,metric|The annualised value of all active subscriptions.
nrr|finance|arr|finance,metric|A cohort's ARR today divided by its ARR a year earlier.
churn|finance|arr|finance,metric|ARR lost from customers who cancel or do not renew.
customer-health-score|success|customer-account|metric|A 0-100 score predicting renewal.
yield-estimate|ml|field|ml|A forecast of harvestable output per acre for a field and season.
prescription-map|ml|field|ml|A per-zone map of the input rates a rover applies.
spray-event|ml|prescription-map|ml|A record of where, when and how much product a rover applied.
weed-pressure|ml|spray-event|ml|The density of detected weeds per square metre in a field.
maintenance-ticket|field-ops|fault-code|hardware|A request for a technician to fix a rover.
warranty-claim|field-ops|maintenance-ticket|hardware|A dealer's claim for a covered repair.
spare-part|field-ops|rover|hardware|A replaceable rover component with its own part number.
personal-data|identity||pii,compliance|Information that identifies a grower, operator or employee.
access-token|identity|personal-data|security|A short-lived credential proving who calls an API.
season-report|analytics|field|deprecated|A PDF season summary, superseded by Yield Insights.
"""

# Inferred RELATED_TO pairs between concepts (mined from co-occurrence, so not certain).
RELATED = """
grower:field operator:work-order rover:telemetry-frame fault-code:maintenance-ticket
battery-health:rover-uptime billable-acre:invoice churn:customer-health-score nrr:churn
weed-pressure:yield-estimate prescription-map:route-plan geofence:route-plan dealer:spare-part
dealer:warranty-claim personal-data:operator personal-data:grower access-token:operator
firmware-release:fault-code acres-covered:yield-estimate season-report:yield-estimate
work-order:spray-event fleet:active-rover customer-health-score:rover-uptime
subscription:fleet invoice:personal-data
"""

# slug|owner team|category|tags|implemented concepts ; pitch on the next line
PRODUCTS = """
fieldos|product|platform|core|field,work-order,customer-account,subscription,access-token
  is the cloud platform that plans, runs and records every rover job
corvid-rover-r3|field-ops|hardware|hardware,core|rover,telemetry-frame,geofence,firmware-release
  is the third-generation autonomous rover for row crops
fleet-console|product|web app|customer|fleet,active-rover,rover-uptime,route-plan,battery-health
  lets growers watch, dispatch and maintain their fleet from a browser
corvid-mobile|mobile|mobile app|customer|operator,work-order,fault-code,maintenance-ticket
  puts work orders and rover alerts in an operator's pocket
yield-insights|analytics|analytics|data|yield-estimate,acres-covered,weed-pressure
  turns telemetry and harvest data into per-field yield forecasts
spray-planner|ml|add-on|ml|prescription-map,spray-event,weed-pressure
  builds variable-rate spray plans from weed detections
dealer-portal|success|web app|customer|dealer,spare-part,warranty-claim
  gives dealers parts ordering, warranty and customer support tools
legacy-reports|analytics|report|deprecated|season-report,acres-covered
  emails PDF season summaries to growers who have not migrated yet
"""

# Teams using things they do not own: "team>entity-key".
USES = """
finance>database:warehouse finance>service:billing-service finance>service:tax-calculator
analytics>database:telemetry-tsdb ml>database:warehouse ml>database:telemetry-lake
success>product:fleet-console success>service:dealer-api field-ops>service:diagnostics-service
field-ops>product:corvid-mobile product>service:insights-api design>service:web-console
mobile>service:feature-flags fleet>service:feature-flags billing>service:feature-flags
sre>database:metrics-tsdb leadership>product:yield-insights analytics>pipeline:core-cdc
"""

NAMES = {
    "core-db": "FieldOS Core DB",
    "warehouse": "Analytics Warehouse",
    "audit-db": "Audit Store",
    "api-gateway": "Public API Gateway",
    "core-cdc": "Core CDC to Warehouse",
    "arr": "Annual Recurring Revenue",
    "nrr": "Net Revenue Retention",
    "fieldos": "FieldOS",
    "legacy-reports": "Legacy Season Reports",
}
ACRONYMS = {w.lower(): w for w in ("API", "BFF", "CDC", "CRM", "DB", "KPIs", "MySQL", "OTA")}
ACRONYMS |= {w.lower(): w for w in ("PII", "SSO", "TSDB", "v1")}
FIRST_NAMES = (
    "Amara Bilal Chen Dario Elif Farah Gustavo Hana Ikaika Jonas Kavya Lars Mei Nnamdi Olga "
    "Priya Quentin Rosa Santiago Tamar Uma Viktor Wanjiru Xavier Yusuf Zofia Aiko Bastien "
    "Camila Dmitri Esther Femi Greta Hiro Ines Jamal Keanu Leila Mateo Noor"
)
LAST_NAMES = (
    "Abara Bergstrom Castillo Dubois Eze Fischer Gupta Haddad Ivanova Jensen Kim Lindqvist "
    "Mensah Novak Okafor Petrov Quispe Rahman Sato Tran Ueda Valdez Walsh Xu Yilmaz Zhang "
    "Adeyemi Brennan Costa Delgado Fontaine Garcia Hoang Iyer Johansson Kowalski Larsen Moreau"
)
LOCATIONS = ("Des Moines, IA", "Lincoln, NE", "Austin, TX", "Toronto, ON", "Wageningen, NL")
REMOTE = ("Remote (US)", "Remote (EU)", "Bengaluru, IN")
ENGINEERING = ("platform", "fleet", "telemetry", "mobile", "identity", "billing", "sre")
CORE_DB_READERS = ("fleet", "mobile", "success", "field-ops", "ml", "billing", "analytics")
CADENCE = {"hourly": "every hour", "daily": "every day", "nightly": "every night"}
CADENCE |= {"weekly": "every week", "streaming": "continuously"}

PERSON_TEMPLATES = (
    "{first} is {a_title} on the {team} team, based in {loc}.",
    "{title} in {team}, the team that {mission}.",
    "Based in {loc}, {first} joined {team} in {year} as {a_title}.",
    "{first} has been with {team} since {year} and works out of {loc}.",
)
SERVICE_TEMPLATES = (
    "{name} {purpose}.",
    "Owned by {team}, {name} {purpose}.",
    "A tier-{tier} {lang} service that {purpose}.",
    "{name} is the {team} service that {purpose}.",
)
DATABASE_TEMPLATES = (
    "{name} ({engine}) holds {contents}.",
    "{name} holds {contents}.",
    "The {team} team's {engine} store for {contents}.",
)
PIPELINE_TEMPLATES = (
    "{name} {purpose}, {cadence}.",
    "{A_schedule} {orchestrator} job that {purpose}.",
    "Runs {cadence} on {orchestrator} and {purpose}.",
)


def _rows(table: str) -> list[list[str]]:
    rows: list[list[str]] = []
    for line in table.strip("\n").splitlines():
        if line.startswith(" ") and rows:
            rows[-1].append(line.strip())
        elif line.strip():
            rows.append(line.split("|"))
    return rows


def _pairs(table: str, sep: str) -> list[tuple[str, list[str]]]:
    """Parse "a:b,c" (or "a>b") tokens into (a, [b, c])."""
    return [(left, right.split(",")) for left, right in (t.split(sep) for t in table.split())]


def _split(cell: str) -> list[str]:
    return [item for item in cell.split(",") if item]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _title(slug: str) -> str:
    words = (ACRONYMS.get(word, word.capitalize()) for word in slug.split("-"))
    return NAMES.get(slug) or " ".join(words)


def _tags(*groups: str) -> tuple[str, ...]:
    tags = (_slug(tag)[:64] for group in groups for tag in _split(group))
    return tuple(dict.fromkeys(tag for tag in tags if tag))[:10]


def _a(word: str) -> str:
    vowel = word[:1].lower() in "aeiou" or word.lower().startswith("hour")
    return f"an {word}" if vowel else f"a {word}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not cryptography
        self.entities: dict[str, DemoEntity] = {}
        self.rels: dict[tuple[str, str, str], DemoRelationship] = {}

    def add(self, key: str, name: str, text: str, tags: tuple[str, ...], **props: Any) -> str:
        if key in self.entities:
            raise ValueError(f"duplicate demo entity key {key!r}")
        # The inventory of legacy things goes stale, so it is trusted a little less.
        confidence = 0.85 if "deprecated" in tags else 1.0
        kind = key.split(":", 1)[0]
        self.entities[key] = DemoEntity(key, kind, name, text, tags, props, confidence)
        return key

    def link(self, source: str, target: str, type_: str, conf: float = 1.0, **props: Any) -> bool:
        if source == target or (source, target, type_) in self.rels:
            return False
        self.rels[(source, target, type_)] = DemoRelationship(source, target, type_, conf, props)
        return True

    def infer(self, source: str, target: str, type_: str, evidence: str) -> bool:
        conf = round(self.rng.uniform(0.6, 0.95), 2)
        return self.link(source, target, type_, conf, inferred=True, evidence=evidence)


def _people(b: _Builder, teams: list[list[str]]) -> dict[str, list[str]]:
    """Everyone, with MEMBER_OF, LEADS and a REPORTS_TO tree up to four hops deep."""
    rng = b.rng
    pool = [(f, last) for f in FIRST_NAMES.split() for last in LAST_NAMES.split()]
    names = rng.sample(pool, 1 + len(EXECUTIVES) + sum(int(row[3]) for row in teams))
    info = {row[0]: row for row in teams}
    mission = "sets company strategy and allocates headcount"
    info["leadership"] = ["leadership", "Executive Leadership", "executive", "", "", "", mission]
    members: dict[str, list[str]] = {}

    def person(team: str, title: str, boss: str | None, *tags: str) -> str:
        first, last = names[sum(map(len, members.values()))]
        loc = rng.choice(LOCATIONS) if rng.random() < 0.8 else rng.choice(REMOTE)
        year = rng.randint(2015, 2024)
        text = rng.choice(PERSON_TEMPLATES).format(
            first=first,
            title=title,
            a_title=_a(title),
            team=info[team][1],
            loc=loc,
            year=year,
            mission=info[team][6],
        )
        email = f"{_slug(first)}.{_slug(last)}@{DOMAIN}"
        key = b.add(
            f"person:{_slug(first)}-{_slug(last)}", f"{first} {last}", text,
            _tags(team, info[team][2], *tags), title=title, email=email, location=loc,
            employee_id=f"CA-{1001 + len(b.entities)}", start_year=year,
        )  # fmt: skip
        members.setdefault(team, []).append(key)
        b.link(key, f"team:{team}", "MEMBER_OF")
        if boss:
            b.link(key, boss, "REPORTS_TO")
        return key

    ceo = person("leadership", "Chief Executive Officer", None, "leadership")
    b.link(ceo, "team:leadership", "LEADS")
    vps = {
        dept: person("leadership", title, ceo, "leadership") for dept, title in EXECUTIVES.items()
    }
    for slug, name, dept, size, role, *_ in teams:
        lead = person(slug, f"Head of {name}", vps[dept], "manager")
        b.link(lead, f"team:{slug}", "LEADS")
        big = int(size) >= 10
        manager = person(slug, f"Manager, {name}", lead, "manager") if big else lead
        for i in range(int(size) - (2 if big else 1)):
            level = rng.choices(("", "Senior ", "Staff "), weights=(5, 4, 1))[0]
            on_call = "on-call" if slug in ENGINEERING and rng.random() < 0.4 else ""
            person(slug, f"{level}{role}", manager if i % 2 else lead, on_call)
    return members


def build_demo_graph(seed: int = 7) -> DemoGraph:
    """Return the Corvid Agritech demo graph; the same seed always yields the same graph."""
    b = _Builder(seed)
    rng = b.rng
    teams = _rows(TEAMS)
    team_names = {row[0]: row[1] for row in teams}
    b.add(
        "team:leadership", "Executive Leadership",
        "The executive team sets company strategy and allocates headcount across departments.",
        ("leadership", "executive"), department="executive", slack="#leadership",
        headcount=1 + len(EXECUTIVES),
    )  # fmt: skip
    for i, (slug, name, dept, size, _role, tags, mission) in enumerate(teams):
        text = rng.choice((f"{name} {mission}.", f"The {name} team {mission}."))
        b.add(
            f"team:{slug}", name, text, _tags(dept, tags), department=dept,
            slack=f"#team-{slug}", headcount=int(size), cost_center=f"CC-{110 + i}",
        )  # fmt: skip
    members = _people(b, teams)

    databases = _rows(DATABASES)
    for slug, engine, team, tier, tags, contents in databases:
        name, template = _title(slug), rng.choice(DATABASE_TEMPLATES)
        text = template.format(name=name, engine=engine, team=team_names[team], contents=contents)
        key = b.add(
            f"database:{slug}", name, _sentence(text), _tags(f"tier-{tier}", tags, team),
            engine=engine, tier=int(tier), contains_pii="pii" in tags,
        )  # fmt: skip
        b.link(f"team:{team}", key, "OWNS")

    services = _rows(SERVICES)
    for slug, team, lang, tier, writes, product, tags, purpose in services:
        name, template = _title(slug), rng.choice(SERVICE_TEMPLATES)
        text = template.format(
            name=name, team=team_names[team], tier=tier, lang=lang, purpose=purpose
        )
        if "deprecated" in tags:
            text += " It is deprecated and scheduled for removal."
        key = b.add(
            f"service:{slug}", name, text, _tags(f"tier-{tier}", team, lang, tags),
            language=lang, tier=int(tier), repo=f"git.{DOMAIN}/{team}/{slug}",
            runtime="kubernetes", oncall=f"{team}-oncall",
        )  # fmt: skip
        b.link(f"team:{team}", key, "OWNS")
        for db in _split(writes):
            b.link(key, f"database:{db}", "WRITES_TO")
        if team in CORE_DB_READERS and rng.random() < 0.85:
            b.link(key, "database:core-db", "READS_FROM")
        if product:
            b.link(key, f"product:{product}", "PART_OF")
        if tier == "1":
            b.link(rng.choice(members[team][1:]), key, "MAINTAINS")
    for slug, deps in _pairs(DEPENDS, ":"):
        for dep in deps:
            b.link(f"service:{slug}", f"service:{dep}", "DEPENDS_ON")

    # Edges a lineage scanner discovered rather than anyone declaring them. Inferred
    # dependencies only point at identity/platform services, which never depend on the
    # rest, so DEPENDS_ON stays acyclic.
    slugs = [row[0] for row in services]
    foundation = [row[0] for row in services if row[1] in ("identity", "platform")]
    others = [slug for slug in slugs if slug not in foundation]
    foundation.remove("api-gateway")
    added = 0
    while added < 10:
        svc, db = f"service:{rng.choice(slugs)}", f"database:{rng.choice(databases)[0]}"
        if (svc, db, "WRITES_TO") not in b.rels:
            added += b.infer(svc, db, "READS_FROM", "query-log")
    while added < 18:
        svc, dep = f"service:{rng.choice(others)}", f"service:{rng.choice(foundation)}"
        added += b.infer(svc, dep, "DEPENDS_ON", "tracing")

    for slug, team, schedule, reads, writes, tags, purpose in _rows(PIPELINES):
        name, orchestrator = _title(slug), "Flink" if schedule == "streaming" else "Airflow"
        text = rng.choice(PIPELINE_TEMPLATES).format(
            name=name,
            purpose=purpose,
            cadence=CADENCE[schedule],
            orchestrator=orchestrator,
            A_schedule=_sentence(_a(schedule)),
        )
        key = b.add(
            f"pipeline:{slug}", name, text, _tags(team, tags, orchestrator), schedule=schedule,
            orchestrator=orchestrator, repo=f"git.{DOMAIN}/{team}/pipelines",
        )  # fmt: skip
        b.link(f"team:{team}", key, "OWNS")
        for db in _split(reads):
            b.link(key, f"database:{db}", "READS_FROM")
        for db in _split(writes):
            b.link(key, f"database:{db}", "WRITES_TO")

    for slug, team, parent, tags, definition in _rows(CONCEPTS):
        status = "deprecated" if "deprecated" in tags else "approved"
        key = b.add(
            f"concept:{slug}", _title(slug), definition, _tags("glossary", tags),
            steward=team_names[team], status=status, glossary="business",
        )  # fmt: skip
        b.link(f"team:{team}", key, "OWNS", role="steward")
        if parent:
            b.link(f"concept:{parent}", key, "DEFINES")
    for left, (right,) in _pairs(RELATED, ":"):
        b.infer(f"concept:{left}", f"concept:{right}", "RELATED_TO", "co-occurrence")

    for slug, team, category, tags, concepts, pitch in _rows(PRODUCTS):
        name = _title(slug)
        key = b.add(
            f"product:{slug}", name, f"{name} {pitch}.", _tags(category, tags),
            category=category, launch_year=rng.randint(2017, 2024),
        )  # fmt: skip
        b.link(f"team:{team}", key, "OWNS")
        b.link(rng.choice(members["product"][1:]), key, "LEADS", role="product-manager")
        for concept in _split(concepts):
            b.link(key, f"concept:{concept}", "IMPLEMENTS")
    for team, (target,) in _pairs(USES, ">"):
        b.link(f"team:{team}", target, "USES")

    for rel in b.rels.values():
        for end in (rel.source, rel.target):
            if end not in b.entities:
                raise ValueError(f"demo relationship {rel.type} points at unknown {end!r}")
    return DemoGraph(COMPANY, tuple(b.entities.values()), tuple(b.rels.values()))
