"""The configuration reference (docs/configuration.md) cannot drift from the config's JSON Schema
(docs/gate.schema.json, written by `build.py --print-schema`, itself checked fresh by
tests/build/test_config_schema.py): every key in the schema is documented under its section's
heading, and every key the page documents exists in the schema."""

from __future__ import annotations

import json
import os
import re

from tests.conftest import ROOT

PAGE = os.path.join(ROOT, "docs", "configuration.md")
SCHEMA = os.path.join(ROOT, "docs", "gate.schema.json")

SECTION_NAMES = re.compile(r"`\[\[?([a-z_]+)\]\]?`")
TABLE_KEY_CELL = re.compile(r"^\|\s*(`[^|]+)\|")
TOML_KEY = re.compile(r"^#?\s*([a-z_]+)\s*=")


def schema_keys(schema: dict[str, object]) -> set[str]:
    """`section.key` for every key of every table and array-of-tables section."""
    keys: set[str] = set()
    for section, node in schema["properties"].items():  # type: ignore[attr-defined]
        props = node.get("properties") or (node.get("items") or {}).get("properties") or {}
        assert props, f"schema section {section} has no keys: the walk below would miss them"
        keys.update(f"{section}.{key}" for key in props)
    return keys


def documented_keys(text: str) -> set[str]:
    """Keys in the tables and TOML examples under each `## [section]` heading."""
    keys: set[str] = set()
    sections: list[str] = []
    in_toml = False
    for line in text.splitlines():
        if line.startswith("## "):
            sections = SECTION_NAMES.findall(line)
            continue
        if line.startswith("```"):
            in_toml = line.strip() == "```toml" and not in_toml
            continue
        if not sections:
            continue
        names: list[str] = []
        if in_toml:
            match = TOML_KEY.match(line)
            names = [match.group(1)] if match else []
        else:
            cell = TABLE_KEY_CELL.match(line)
            names = re.findall(r"`([a-z_.]+)`", cell.group(1)) if cell else []
        for name in names:
            if "." in name:
                keys.add(name)
            else:
                assert len(sections) == 1, f"{name!r} under a heading of several sections: write it as section.key"
                keys.add(f"{sections[0]}.{name}")
    return keys


def test_every_schema_key_is_documented_and_every_documented_key_exists() -> None:
    with open(SCHEMA, encoding="utf-8") as fh:
        in_schema = schema_keys(json.load(fh))
    with open(PAGE, encoding="utf-8") as fh:
        in_docs = documented_keys(fh.read())
    assert len(in_schema) > 50  # the walk found the real schema, not an empty one
    assert in_schema - in_docs == set(), "keys in the schema that docs/configuration.md does not document"
    assert in_docs - in_schema == set(), "keys docs/configuration.md documents that the schema does not have"


def test_the_parser_sees_a_missing_and_an_invented_key() -> None:
    """The check above can fail: a key dropped from the page, or a key the schema lacks, shows."""
    with open(PAGE, encoding="utf-8") as fh:
        text = fh.read()
    full = documented_keys(text)
    dropped = documented_keys(text.replace("| `leeway_seconds` |", "| leeway |"))
    assert full - dropped == {"tokens.leeway_seconds"}
    invented = documented_keys(text.replace("| `prefix` |", "| `prefix`, `flavour` |"))
    assert invented - full == {"cookies.flavour"}
