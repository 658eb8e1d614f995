"""Every type the real provider's schema has is implemented, under the name the registry files it."""

from __future__ import annotations

from fleetform.standin_provider.provider import (
    DATA_SOURCES,
    RESOURCES,
    StandinProvider,
    data_source_class,
    resource_class,
)
from fleetform.standin_provider.schema import load_schema


def test_registry_covers_the_schema_and_names_match() -> None:
    schema = load_schema()
    assert set(RESOURCES) == set(schema.resources) and set(DATA_SOURCES) == set(schema.data_sources)
    for name in RESOURCES:
        assert resource_class(name).type_name == name
    for name in DATA_SOURCES:
        assert data_source_class(name).type_name == name
    StandinProvider(environ={})  # refuses a schema type without an implementation
