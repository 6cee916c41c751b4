"""Topic names typed on the command line, checked against the catalogue (the only source of names).

Example:
    >>> from flux.catalogue import load_catalogue
    >>> cat = load_catalogue()
    >>> source = cat.of_kind(TopicKind.COMMAND)[0]
    >>> pair = dead_letter_pair(source.name)
    >>> (pair.source.name, pair.dead_letter.name) == (source.name, source.dead_letter)
    True
    >>> dead_letter_pair(source.dead_letter or "") == pair
    True
"""

from __future__ import annotations

from dataclasses import dataclass

from flux.catalogue import Catalogue, TopicKind, TopicSpec, load_catalogue
from flux.cli.errors import CliError, ExitCode, with_close_matches

__all__ = ["DeadLetterPair", "catalogue_topic", "dead_letter_pair", "source_of"]


@dataclass(frozen=True, slots=True)
class DeadLetterPair:
    """A topic and the dead-letter topic its consumers park undecodable records in."""

    source: TopicSpec
    dead_letter: TopicSpec


def catalogue_topic(name: str, catalogue: Catalogue | None = None) -> TopicSpec:
    """Return the catalogue's topic ``name``.

    Raises:
        CliError: (not found) the catalogue has no such topic; the message lists close names.
    """
    cat = catalogue or load_catalogue()
    if name in cat:
        return cat.topic(name)
    raise CliError(
        with_close_matches(
            f"topic {name!r} is not in the catalogue (schemas/topics.yaml)", name, cat.names()
        ),
        ExitCode.NOT_FOUND,
    )


def source_of(dead_letter: TopicSpec, catalogue: Catalogue | None = None) -> TopicSpec | None:
    """The topic whose dead-letter topic is ``dead_letter`` (None for any other kind of topic)."""
    cat = catalogue or load_catalogue()
    return next((t for t in cat.topics if t.dead_letter == dead_letter.name), None)


def dead_letter_pair(name: str, catalogue: Catalogue | None = None) -> DeadLetterPair:
    """Resolve ``name``, a source topic or a dead-letter topic, to both.

    Raises:
        CliError: (not found) unknown topic, or a topic without a dead-letter topic.
    """
    cat = catalogue or load_catalogue()
    spec = catalogue_topic(name, cat)
    if spec.kind is TopicKind.DEAD_LETTER:
        source = source_of(spec, cat)
        if source is None:  # the catalogue derives every DLQ from a source: a malformed catalogue
            raise CliError(f"no topic of the catalogue dead-letters into {name!r}", ExitCode.NOT_FOUND)
        return DeadLetterPair(source, spec)
    if spec.dead_letter is None:
        with_dlq = [t.name for t in cat.topics if t.dead_letter]
        raise CliError(
            with_close_matches(f"topic {name!r} has no dead-letter topic", name, with_dlq),
            ExitCode.NOT_FOUND,
        )
    return DeadLetterPair(spec, cat.topic(spec.dead_letter))
