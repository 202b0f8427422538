"""The layout keeps showing the architecture: small modules, every root field declaring who
may call it, pages that survive a row hidden after the SQL. (The import rules are checked by
`lint-imports` in `make test`: pyproject.toml, [tool.importlinter].)"""

from __future__ import annotations

import uuid

import pytest
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.types.base import StrawberryObjectDefinition

from app.core.pagination import Cursor, Page
from app.core.settings import Settings
from resolvers.permissions import HasRole, Public
from resolvers.schema import build_schema
from tests.conftest import ROOT

MAX_MODULE_LINES = 400
PUBLIC_FIELDS = {"login", "refreshToken"}


def test_no_production_module_is_over_400_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for package in ("app", "graph", "resolvers")
        for path in (ROOT / package).rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}, "split these where a responsibility stands apart"


def _root_fields() -> list[tuple[str, str, list[FieldExtension]]]:
    schema = build_schema(Settings())
    found = []
    for root in ("Query", "Mutation", "Subscription"):
        definition = schema.get_type_by_name(root)
        assert isinstance(definition, StrawberryObjectDefinition)
        for field in definition.fields:
            name = schema.config.name_converter.from_field(field)
            found.append((root, name, list(field.extensions)))
    return found


def _declares(extensions: list[FieldExtension]) -> str | None:
    for extension in extensions:
        if isinstance(extension, Public):
            return "public"
        if isinstance(extension, PermissionExtension) and any(
            isinstance(permission, HasRole) for permission in extension.permissions
        ):
            return "role"
    return None


@pytest.mark.parametrize(("root", "name", "extensions"), _root_fields())
def test_every_root_field_declares_who_may_call_it(
    root: str, name: str, extensions: list[FieldExtension]
) -> None:
    declared = _declares(extensions)
    assert declared is not None, f"{root}.{name} declares neither requires(...) nor public()"
    assert (declared == "public") == (name in PUBLIC_FIELDS), f"{root}.{name} is {declared}"


def test_a_page_leaves_out_a_row_a_check_hides_and_keeps_the_others_cursors() -> None:
    # given a page of three rows, whose middle one a check in Python hides after the SQL
    cursors = [Cursor(value=name, id=uuid.uuid4()) for name in ("a", "b", "c")]
    page = Page(items=["a", "b", "c"], has_next=True, cursors=cursors)
    # when the page is shown
    shown = page.shown(["a", None, "c"])
    # then the hidden row is left out and each other row keeps its own cursor
    assert shown == [("a", cursors[0]), ("c", cursors[2])]
