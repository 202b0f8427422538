"""The demo company's catalogue as tables: teams, services, databases, pipelines, concepts,
products and how they connect, with the names and templates people and systems are given.
Pure data; `app.demo.data` builds the graph from it."""

from __future__ import annotations

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
