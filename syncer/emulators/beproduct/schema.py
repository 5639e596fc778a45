"""The image folders' attribute schema: which fields a header has and how values are stored.

Every emulated folder shares one schema. Field ids are matched the forgiving way the vendor's
clients use them: ``header_number`` (Python SDK docs), ``headerNumber`` (TypeScript SDK docs) and
``HeaderNumber`` (filter docs) all name the same field. Drop-down values outside the field's
master data are silently blanked, as BeProduct does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One attribute field of an image folder."""

    id: str
    name: str
    type: str
    required: bool = False
    options: tuple[str, ...] = ()

    def clean(self, value: Any) -> str:
        """The value as stored: text for text fields, a known option (or "") for drop-downs."""
        text = "" if value is None else value if isinstance(value, str) else _text(value)
        if not self.options:
            return text
        folded = text.strip().casefold()
        return next((option for option in self.options if option.casefold() == folded), "")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return str(value)


HEADER_NUMBER = "header_number"
HEADER_NAME = "header_name"

FIELDS: tuple[FieldDef, ...] = (
    FieldDef(HEADER_NUMBER, "Image Number", "Text", required=True),
    FieldDef(HEADER_NAME, "Image Name", "Text", required=True),
    FieldDef("description", "Description", "Memo"),
    FieldDef("status", "Status", "DropDown", options=("Active", "Inactive", "Archived")),
    FieldDef(
        "image_type",
        "Image Type",
        "DropDown",
        options=("Print", "Graphic", "Photo", "Sketch", "Logo"),
    ),
    FieldDef("keywords", "Keywords", "Text"),
)

#: System fields the search schema offers besides the attributes.
SEARCH_ONLY: tuple[FieldDef, ...] = (
    FieldDef("CreatedAt", "Created At", "Date"),
    FieldDef("ModifiedAt", "Modified At", "Date"),
    FieldDef("FolderModifiedAt", "Folder Modified At", "Date"),
)


def normalize(name: str) -> str:
    """A field or filter name reduced for matching: lower case, no ``_``, ``-`` or spaces."""
    return "".join(ch for ch in name.casefold() if ch not in "_- ")


_BY_KEY = {normalize(f.id): f for f in FIELDS}


def field_named(name: str) -> FieldDef | None:
    """The schema field ``name`` refers to, in any of the spellings clients use."""
    return _BY_KEY.get(normalize(name))


def clean_values(updates: dict[str, Any]) -> dict[str, str]:
    """Known fields from ``{field id: value}`` cleaned for storage; unknown ids are dropped."""
    cleaned: dict[str, str] = {}
    for name, value in updates.items():
        definition = field_named(name)
        if definition is not None:
            cleaned[definition.id] = definition.clean(value)
    return cleaned


def schema_entry(definition: FieldDef) -> dict[str, Any]:
    """A field as ``Image/FolderSchema`` lists it."""
    properties: dict[str, Any] = {}
    if definition.options:
        properties["options"] = list(definition.options)
    return {
        "fieldId": definition.id,
        "fieldName": definition.name,
        "fieldType": definition.type,
        "required": definition.required,
        "properties": properties,
    }
