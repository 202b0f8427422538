"""OpenLineage events (spec 2-0-x): parsing and validation into plain values.

RunEvent, DatasetEvent and JobEvent are told apart by the `schemaURL` fragment, or by their
shape when the fragment is unusual (the version in the URL is not checked). Every failure
names the path of the offending field, e.g. `run.runId` or `outputs[0].facets.schema.fields`.
Facets read: schema, columnLineage, documentation, ownership, tags; every other facet is kept
with the raw event.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from app.core import validation
from app.core.errors import BadUserInput

EVENT_TYPES = frozenset({"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"})
MAX_DATASETS_PER_EVENT = 1_000
MAX_NESTED_FIELDS_DEPTH = 5


@dataclass(frozen=True, slots=True)
class ColumnLink:
    field: str
    source_namespace: str
    source_name: str
    source_field: str
    transformation: str | None


@dataclass(frozen=True, slots=True)
class DatasetRef:
    namespace: str
    name: str
    fields: list[dict[str, Any]] | None = None
    description: str | None = None
    owners: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    column_lineage: list[ColumnLink] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    kind: str  # run, dataset or job
    event_type: str | None
    event_time: datetime
    dedupe_key: str
    run_id: uuid.UUID | None = None
    job_namespace: str | None = None
    job_name: str | None = None
    job_description: str | None = None
    inputs: list[DatasetRef] = field(default_factory=list)
    outputs: list[DatasetRef] = field(default_factory=list)
    run_facets: dict[str, Any] = field(default_factory=dict)

    @property
    def datasets(self) -> list[DatasetRef]:
        return [*self.inputs, *self.outputs]


def parse_event(raw: Any) -> ParsedEvent:
    """Validate one event; raises BadUserInput(field=<path>) on the first problem."""
    event = _object(raw, "")
    problem = validation.unstorable(event)
    if problem is not None:
        # The event is kept as it came (JSONB), so anything Postgres cannot store is refused.
        raise BadUserInput(f"The event {problem}.", field=None)
    kind = _kind(event)
    event_time = _time(event.get("eventTime"), "eventTime")
    _string(event.get("producer"), "producer")
    _string(event.get("schemaURL"), "schemaURL")
    event_type: str | None = None
    if kind == "run":
        event_type = _event_type(event.get("eventType"))
    if kind == "dataset":
        dataset = _dataset(event.get("dataset"), "dataset")
        key = _dedupe(kind, None, event_time, None, [dataset.namespace, dataset.name])
        return ParsedEvent(
            kind=kind, event_type=None, event_time=event_time, dedupe_key=key, outputs=[dataset]
        )
    job = _object(event.get("job"), "job")
    job_namespace = validation.namespace(job.get("namespace"), field="job.namespace")
    job_name = validation.dataset_name(job.get("name"), field="job.name")
    job_facets = _object(job.get("facets") or {}, "job.facets")
    run_id: uuid.UUID | None = None
    run_facets: dict[str, Any] = {}
    if kind == "run":
        run = _object(event.get("run"), "run")
        run_id = _uuid(run.get("runId"), "run.runId")
        run_facets = _object(run.get("facets") or {}, "run.facets")
    inputs = _datasets(event.get("inputs"), "inputs")
    outputs = _datasets(event.get("outputs"), "outputs")
    return ParsedEvent(
        kind=kind,
        event_type=event_type,
        event_time=event_time,
        dedupe_key=_dedupe(kind, event_type, event_time, run_id, [job_namespace, job_name]),
        run_id=run_id,
        job_namespace=job_namespace,
        job_name=job_name,
        job_description=_documentation(job_facets, "job.facets"),
        inputs=inputs,
        outputs=outputs,
        run_facets=run_facets,
    )


def _kind(event: dict[str, Any]) -> str:
    url = event.get("schemaURL")
    fragment = url.rsplit("/", 1)[-1] if isinstance(url, str) else ""
    for name, kind in (("RunEvent", "run"), ("DatasetEvent", "dataset"), ("JobEvent", "job")):
        if fragment == name:
            return kind
    if "run" in event:
        return "run"
    if "dataset" in event:
        return "dataset"
    if "job" in event:
        return "job"
    raise BadUserInput(
        "The event is neither a RunEvent (run + job), a DatasetEvent (dataset) nor a JobEvent "
        "(job).",
        field="run",
    )


def _dedupe(
    kind: str, event_type: str | None, at: datetime, run_id: uuid.UUID | None, names: list[str]
) -> str:
    material = [
        kind,
        event_type,
        at.astimezone(UTC).isoformat(),
        str(run_id) if run_id else None,
        *names,
    ]
    return hashlib.sha256(orjson.dumps(material)).hexdigest()


def _datasets(value: Any, path: str) -> list[DatasetRef]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadUserInput(f"{path} must be a list of datasets.", field=path)
    if len(value) > MAX_DATASETS_PER_EVENT:
        raise BadUserInput(f"{path} lists more than {MAX_DATASETS_PER_EVENT} datasets.", field=path)
    return [_dataset(item, f"{path}[{index}]") for index, item in enumerate(value)]


def _dataset(value: Any, path: str) -> DatasetRef:
    dataset = _object(value, path)
    namespace = validation.namespace(dataset.get("namespace"), field=f"{path}.namespace")
    name = validation.dataset_name(dataset.get("name"), field=f"{path}.name")
    facets = _object(dataset.get("facets") or {}, f"{path}.facets")
    fields = None
    if facets.get("schema") is not None:
        schema = _object(facets["schema"], f"{path}.facets.schema")
        at = f"{path}.facets.schema.fields"
        raw_fields = schema.get("fields")
        if not isinstance(raw_fields, list):
            raise BadUserInput(f"{at} must be a list.", field=at)
        fields = validation.schema_fields(_flatten(raw_fields, at, ""), field=at)
    dataset_tags, field_tags = _tags(facets, f"{path}.facets.tags")
    if fields is not None and field_tags:
        fields = [
            {**f, "tags": sorted({*f["tags"], *field_tags.get(f["name"], [])})} for f in fields
        ]
    return DatasetRef(
        namespace=namespace,
        name=name,
        fields=fields,
        description=_documentation(facets, f"{path}.facets"),
        owners=_owners(facets, f"{path}.facets.ownership"),
        tags=dataset_tags,
        column_lineage=_column_lineage(facets, f"{path}.facets.columnLineage"),
    )


def _flatten(values: list[Any], path: str, prefix: str, depth: int = 0) -> list[dict[str, Any]]:
    """Nested (struct) fields become `parent.child` columns."""
    flat: list[dict[str, Any]] = []
    for index, item in enumerate(values):
        column = _object(item, f"{path}[{index}]")
        name = _string(column.get("name"), f"{path}[{index}].name")
        flat.append({**column, "name": prefix + name, "tags": []})
        nested = column.get("fields")
        if isinstance(nested, list) and depth < MAX_NESTED_FIELDS_DEPTH:
            flat.extend(_flatten(nested, f"{path}[{index}].fields", f"{prefix}{name}.", depth + 1))
    return flat


def _tags(facets: dict[str, Any], path: str) -> tuple[list[str], dict[str, list[str]]]:
    if facets.get("tags") is None:
        return [], {}
    entries = _object(facets["tags"], path).get("tags") or []
    if not isinstance(entries, list):
        raise BadUserInput(f"{path}.tags must be a list.", field=f"{path}.tags")
    dataset_tags: list[str] = []
    field_tags: dict[str, list[str]] = {}
    for index, entry in enumerate(entries):
        item = _object(entry, f"{path}.tags[{index}]")
        key = _string(item.get("key"), f"{path}.tags[{index}].key")
        tag = validation.tags([key], field=f"{path}.tags[{index}].key")[0]
        if isinstance(item.get("field"), str):
            field_tags.setdefault(item["field"], []).append(tag)
        else:
            dataset_tags.append(tag)
    return sorted(set(dataset_tags)), field_tags


def _documentation(facets: dict[str, Any], path: str) -> str | None:
    if facets.get("documentation") is None:
        return None
    doc = _object(facets["documentation"], f"{path}.documentation")
    return validation.description(
        _string(doc.get("description"), f"{path}.documentation.description"),
        field=f"{path}.documentation.description",
    )


def _owners(facets: dict[str, Any], path: str) -> list[str]:
    if facets.get("ownership") is None:
        return []
    owners = _object(facets["ownership"], path).get("owners") or []
    if not isinstance(owners, list):
        raise BadUserInput(f"{path}.owners must be a list.", field=f"{path}.owners")
    names = [
        _string(_object(o, f"{path}.owners[{i}]").get("name"), f"{path}.owners[{i}].name")
        for i, o in enumerate(owners)
    ]
    return validation.owners(names, field=f"{path}.owners")


def _column_lineage(facets: dict[str, Any], path: str) -> list[ColumnLink]:
    if facets.get("columnLineage") is None:
        return []
    fields = _object(_object(facets["columnLineage"], path).get("fields"), f"{path}.fields")
    links: list[ColumnLink] = []
    for out_field, spec in sorted(fields.items()):
        at = f"{path}.fields.{out_field}"
        item = _object(spec, at)
        inputs = item.get("inputFields")
        if not isinstance(inputs, list):
            raise BadUserInput(f"{at}.inputFields must be a list.", field=f"{at}.inputFields")
        fallback = item.get("transformationType")
        for index, raw in enumerate(inputs):
            source = _object(raw, f"{at}.inputFields[{index}]")
            where = f"{at}.inputFields[{index}]"
            links.append(
                ColumnLink(
                    field=validation.name(out_field, field=at),
                    source_namespace=validation.namespace(
                        source.get("namespace"), field=f"{where}.namespace"
                    ),
                    source_name=validation.dataset_name(source.get("name"), field=f"{where}.name"),
                    source_field=validation.name(
                        _string(source.get("field"), f"{where}.field"), field=f"{where}.field"
                    ),
                    transformation=_transformation(source.get("transformations"), fallback),
                )
            )
    return links


def _transformation(transformations: Any, fallback: Any) -> str | None:
    """`DIRECT/IDENTITY`, `INDIRECT/FILTER`...: type and subtype of the first transformation."""
    if isinstance(transformations, list) and transformations:
        first = transformations[0]
        if isinstance(first, dict) and isinstance(first.get("type"), str):
            subtype = first.get("subtype")
            return f"{first['type']}/{subtype}" if isinstance(subtype, str) else first["type"]
    return fallback if isinstance(fallback, str) else None


def _event_type(value: Any) -> str:
    if value is None:
        return "OTHER"
    if not isinstance(value, str) or value.upper() not in EVENT_TYPES:
        raise BadUserInput(
            f"eventType must be one of {', '.join(sorted(EVENT_TYPES))} (got {str(value)[:40]!r}).",
            field="eventType",
        )
    return value.upper()


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        what = "is missing" if value is None else "must be a JSON object"
        raise BadUserInput(f"{path or 'The event'} {what}.", field=path or None)
    return value


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        what = "is missing" if value is None else "must be a non-empty string"
        raise BadUserInput(f"{path} {what}.", field=path)
    return value


def _uuid(value: Any, path: str) -> uuid.UUID:
    try:
        return uuid.UUID(_string(value, path))
    except ValueError as exc:
        raise BadUserInput(f"{path} must be a UUID (got {str(value)[:60]!r}).", field=path) from exc


def _time(value: Any, path: str) -> datetime:
    text = _string(value, path)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadUserInput(
            f"{path} must be an ISO 8601 date-time (got {text[:60]!r}).", field=path
        ) from exc
    parsed = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    try:
        parsed.astimezone(UTC)
    except OverflowError as exc:
        raise BadUserInput(
            f"{path} is out of range once converted to UTC (got {text[:60]!r}).", field=path
        ) from exc
    return parsed
