"""The generated classes' construction helpers: ``uuid_from_int`` builds the same UUID as ``uuid.UUID``."""

from __future__ import annotations

import copy
import pickle
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flux.contracts.runtime import uuid_from_int


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_uuid_from_int_is_the_uuid_of_that_int(value: int) -> None:
    made, expected = uuid_from_int(value), uuid.UUID(int=value)
    assert made == expected
    assert hash(made) == hash(expected)
    assert str(made) == str(expected) and repr(made) == repr(expected)
    assert made.bytes == expected.bytes and made.version == expected.version
    assert made.is_safe is expected.is_safe


def test_uuid_from_int_stays_immutable_and_pickles() -> None:
    made = uuid_from_int(uuid.uuid4().int)
    with pytest.raises(TypeError):
        made.int = 1  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(made)) == made
    assert copy.deepcopy(made) == made
    assert {made: 1}[uuid.UUID(str(made))] == 1
