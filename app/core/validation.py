"""Input rules shared by every write path (GraphQL, CLI, seed): each failure names its field."""

from __future__ import annotations

import math
import re
from typing import Any

import orjson

from app.core.errors import BadUserInput

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
RELATIONSHIP_TYPE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s")

MAX_NAME = 200
MAX_DESCRIPTION = 10_000
MAX_TAGS = 50
MAX_PROPERTIES_BYTES = 64 * 1024
MAX_PROPERTIES_DEPTH = 10
# A list longer than this is refused before any per-item work: a request cannot make the
# process spend its time on a list it would refuse anyway.
MAX_LISTED = 1_000


def kind(value: str, *, field: str) -> str:
    cleaned = value.strip().lower()
    if not KIND_PATTERN.fullmatch(cleaned):
        raise BadUserInput(
            f"{field} must be 1-64 characters: a letter, then letters, digits, '_', '.' or '-' "
            f"(got {value[:80]!r}).",
            field=field,
        )
    return cleaned


def name(value: str, *, field: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise BadUserInput(f"{field} must not be empty.", field=field)
    if len(cleaned) > MAX_NAME:
        raise BadUserInput(
            f"{field} is {len(cleaned)} characters; the limit is {MAX_NAME}.", field=field
        )
    if _CONTROL.search(cleaned):
        raise BadUserInput(
            f"{field} must not contain control characters (got {value[:80]!r}).", field=field
        )
    return cleaned


def description(value: Any, *, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadUserInput(f"{field} must be a string.", field=field)
    if "\x00" in value:
        raise BadUserInput(f"{field} must not contain NUL characters (\\u0000).", field=field)
    if len(value) > MAX_DESCRIPTION:
        raise BadUserInput(
            f"{field} is {len(value)} characters; the limit is {MAX_DESCRIPTION}.", field=field
        )
    return value.strip() or None


def confidence(value: float, *, field: str) -> float:
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise BadUserInput(f"{field} must be between 0 and 1 (got {value}).", field=field)
    return float(value)


def tags(values: list[str], *, field: str) -> list[str]:
    if len(values) > MAX_LISTED:
        raise BadUserInput(
            f"{field} lists {len(values)} tags; the limit is {MAX_TAGS}.", field=field
        )
    cleaned: dict[str, None] = {}
    for value in values:
        tag = value.strip().lower() if isinstance(value, str) else ""
        if not TAG_PATTERN.fullmatch(tag):
            raise BadUserInput(
                f"{field} has an invalid tag {str(value)[:80]!r}: use 1-64 characters of a-z, "
                "0-9, '_', '.', ':' or '-', starting with a letter or digit.",
                field=field,
            )
        cleaned[tag] = None
    if len(cleaned) > MAX_TAGS:
        raise BadUserInput(
            f"{field} has {len(cleaned)} tags; the limit is {MAX_TAGS}.", field=field
        )
    return list(cleaned)


def properties(value: Any, *, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadUserInput(f"{field} must be a JSON object.", field=field)
    if _depth(value) > MAX_PROPERTIES_DEPTH:
        raise BadUserInput(f"{field} nests deeper than {MAX_PROPERTIES_DEPTH} levels.", field=field)
    problem = unstorable(value)
    if problem is not None:
        raise BadUserInput(f"{field} {problem}.", field=field)
    try:
        size = len(orjson.dumps(value))
    except TypeError as exc:
        raise BadUserInput(f"{field} must be plain JSON: {exc}.", field=field) from exc
    if size > MAX_PROPERTIES_BYTES:
        raise BadUserInput(
            f"{field} is {size} bytes as JSON; the limit is {MAX_PROPERTIES_BYTES}.", field=field
        )
    return value


def relationship_type(value: str, *, field: str) -> str:
    cleaned = value.strip().upper().replace("-", "_").replace(" ", "_")
    if not RELATIONSHIP_TYPE_PATTERN.fullmatch(cleaned):
        raise BadUserInput(
            f"{field} must be UPPER_SNAKE_CASE like DEPENDS_ON, 1-64 characters "
            f"(got {value[:80]!r}).",
            field=field,
        )
    return cleaned


def unstorable(value: Any) -> str | None:
    """Why Postgres' JSON could not hold this value, if it could not: NaN and infinities
    are not JSON numbers, and text cannot hold a NUL character. Iterative, so that however
    deep a document nests, the answer is an answer and not a RecursionError."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return f"holds the number {item}, which JSON cannot represent"
        if isinstance(item, str) and "\x00" in item:
            return "holds a NUL character (\\u0000), which Postgres cannot store"
        if isinstance(item, dict):
            if any("\x00" in key for key in item):
                return "has a key with a NUL character (\\u0000), which Postgres cannot store"
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return None


def _depth(value: Any, level: int = 1) -> int:
    if level > MAX_PROPERTIES_DEPTH + 1:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


MAX_NAMESPACE = 255
MAX_DATASET_NAME = 500
MAX_FIELDS = 2_000
MAX_OWNERS = 50


def namespace(value: Any, *, field: str) -> str:
    """An OpenLineage namespace such as `postgres://db:5432` or `s3://bucket`."""
    if not isinstance(value, str) or not value.strip():
        raise BadUserInput(f"{field} must be a non-empty string.", field=field)
    cleaned = value.strip()
    if len(cleaned) > MAX_NAMESPACE or _CONTROL.search(cleaned) or _WHITESPACE.search(cleaned):
        raise BadUserInput(
            f"{field} must be at most {MAX_NAMESPACE} characters without spaces or control "
            f"characters (got {value[:80]!r}).",
            field=field,
        )
    return cleaned


def dataset_name(value: Any, *, field: str) -> str:
    """A dataset or job name such as `public.orders` or `/warehouse/orders`."""
    if not isinstance(value, str) or not value.strip():
        raise BadUserInput(f"{field} must be a non-empty string.", field=field)
    cleaned = value.strip()
    if len(cleaned) > MAX_DATASET_NAME or _CONTROL.search(cleaned):
        raise BadUserInput(
            f"{field} must be at most {MAX_DATASET_NAME} characters without control "
            f"characters (got {value[:80]!r}).",
            field=field,
        )
    return cleaned


def owners(values: list[str], *, field: str) -> list[str]:
    if len(values) > MAX_LISTED:
        raise BadUserInput(f"{field} has more than {MAX_OWNERS} owners.", field=field)
    cleaned: dict[str, None] = {}
    for value in values:
        owner = value.strip() if isinstance(value, str) else ""
        if not owner or len(owner) > MAX_NAME or _CONTROL.search(owner):
            raise BadUserInput(f"{field} has an invalid owner {str(value)[:80]!r}.", field=field)
        cleaned[owner] = None
    if len(cleaned) > MAX_OWNERS:
        raise BadUserInput(f"{field} has more than {MAX_OWNERS} owners.", field=field)
    return list(cleaned)


def schema_fields(values: list[dict[str, Any]], *, field: str) -> list[dict[str, Any]]:
    """A dataset's columns: [{name, type, description, tags}], names unique."""
    if len(values) > MAX_FIELDS:
        raise BadUserInput(f"{field} has more than {MAX_FIELDS} fields.", field=field)
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(values):
        at = f"{field}[{index}]"
        column = name(str(item.get("name") or ""), field=f"{at}.name")
        if column in seen:
            raise BadUserInput(f"{at}.name repeats the field {column!r}.", field=f"{at}.name")
        seen.add(column)
        type_ = item.get("type")
        if type_ is not None and (
            not isinstance(type_, str) or len(type_) > MAX_NAME or _CONTROL.search(type_)
        ):
            raise BadUserInput(
                f"{at}.type must be a short string without control characters.",
                field=f"{at}.type",
            )
        cleaned.append(
            {
                "name": column,
                "type": type_ or None,
                "description": description(item.get("description"), field=f"{at}.description"),
                "tags": tags(_listed(item.get("tags"), f"{at}.tags"), field=f"{at}.tags"),
            }
        )
    return cleaned


def _listed(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadUserInput(f"{field} must be a list.", field=field)
    return value
