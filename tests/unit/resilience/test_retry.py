"""RetryPolicy: full-jitter bounds, capped growth, Retry-After honoured, non-retryable errors."""

import random

import pytest

from flux.resilience import (
    RetryPolicy,
    UpstreamBadPayload,
    UpstreamClientError,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
)


def test_backoff_ceiling_grows_exponentially_then_caps() -> None:
    policy = RetryPolicy(base_delay_s=0.1, max_delay_s=1.0, multiplier=2.0)
    assert [policy.backoff_ceiling(n) for n in range(1, 7)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])


def test_full_jitter_stays_within_zero_and_ceiling_and_spreads() -> None:
    policy = RetryPolicy(base_delay_s=0.1, max_delay_s=5.0)
    rng = random.Random(3)
    for retry in range(1, 8):
        delays = [policy.backoff_delay(retry, rng) for _ in range(500)]
        ceiling = policy.backoff_ceiling(retry)
        assert all(0.0 <= d <= ceiling for d in delays)
        # full jitter covers the whole range, not just the top of it
        assert min(delays) < 0.1 * ceiling
        assert max(delays) > 0.9 * ceiling


def test_retry_after_is_a_floor_for_the_wait() -> None:
    policy = RetryPolicy(base_delay_s=0.01, max_delay_s=0.02, max_attempts=5)
    err = UpstreamRateLimited("x", "429", retry_after_s=3.0)
    rng = random.Random(1)
    assert all(policy.delay_after(err, n, rng) == 3.0 for n in range(1, 5))


def test_retry_after_beyond_the_cap_gives_up() -> None:
    policy = RetryPolicy(max_retry_after_s=10.0)
    err = UpstreamRateLimited("x", "429", retry_after_s=60.0)
    assert policy.delay_after(err, 1, random.Random(1)) is None


def test_rate_limited_without_retry_after_uses_backoff() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=0.5)
    delay = policy.delay_after(UpstreamRateLimited("x", "429"), 1, random.Random(1))
    assert delay is not None
    assert 0.0 <= delay <= 0.5


@pytest.mark.parametrize(
    "error",
    [UpstreamBadPayload("x", "bad"), UpstreamClientError("x", "401", status=401)],
)
def test_non_retryable_errors_are_not_retried(error: Exception) -> None:
    assert RetryPolicy().delay_after(error, 1, random.Random(1)) is None  # type: ignore[arg-type]


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3)
    rng = random.Random(1)
    err = UpstreamServerError("x", "503", status=503)
    assert policy.delay_after(err, 1, rng) is not None
    assert policy.delay_after(err, 2, rng) is not None
    assert policy.delay_after(UpstreamTimeout("x", "t"), 3, rng) is None


def test_invalid_policies_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="base_delay_s"):
        RetryPolicy(base_delay_s=2.0, max_delay_s=1.0)
