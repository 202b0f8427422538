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

from app.demo.catalogue import (
    ACRONYMS,
    CADENCE,
    CONCEPTS,
    CORE_DB_READERS,
    DATABASE_TEMPLATES,
    DATABASES,
    DEPENDS,
    ENGINEERING,
    EXECUTIVES,
    FIRST_NAMES,
    LAST_NAMES,
    LOCATIONS,
    NAMES,
    PERSON_TEMPLATES,
    PIPELINE_TEMPLATES,
    PIPELINES,
    PRODUCTS,
    RELATED,
    REMOTE,
    SERVICE_TEMPLATES,
    SERVICES,
    TEAMS,
    USES,
)

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
