"""The registry's topic as the catalogue declares it (compacted, one partition), under any name."""

from __future__ import annotations

import dataclasses
from typing import Final

from flux.catalogue import TopicKind, TopicSpec, load_catalogue

__all__ = ["REGISTRY_DOMAIN", "registry_topic_spec"]

REGISTRY_DOMAIN: Final = "registry"


def registry_topic_spec(name: str | None = None) -> TopicSpec:
    """The catalogue's registry topic (the internal topic of the ``registry`` domain).

    Args:
        name: another topic name with the same settings (tests, benchmarks, second registries).

    Raises:
        LookupError: when the catalogue does not declare exactly one such topic.
    """
    found = [t for t in load_catalogue().of_kind(TopicKind.INTERNAL) if t.domain == REGISTRY_DOMAIN]
    if len(found) != 1:
        raise LookupError(f"schemas/topics.yaml must declare one internal registry topic, found {found}")
    spec = found[0]
    return spec if name is None or name == spec.name else dataclasses.replace(spec, name=name)
