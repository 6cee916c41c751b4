"""Offline news: a steady flow of headlines made from templates, deterministic for a seed.

Article number ``n`` is published at ``EPOCH + n * interval_s`` and its text is a pure function of
``(seed, n)``; the latest N articles are simply the N most recent numbers, so headlines rotate as
time passes and a story keeps its id across refreshes.

Example:
    >>> from datetime import datetime, UTC
    >>> a = simulated_article(1, 100)
    >>> a == simulated_article(1, 100), a.published_at > datetime(2026, 1, 1, tzinfo=UTC)
    (True, True)
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Final

from flux.services.news.model import Article, article_id_for, latest_unique
from flux.services.simulation import Clock, utc_now

__all__ = ["EPOCH", "SimulatedNewsProvider", "simulated_article"]

EPOCH: Final = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_INTERVAL_S: Final = 120.0

SOURCES: Final = ("Flux Wire", "Northern Ledger", "Harbor Daily", "Metro Signal", "Global Brief")
COMPANIES: Final = (
    "Aldermoor Systems",
    "Brightwater Foods",
    "Cobalt Ridge Mining",
    "Deltaline Rail",
    "Evergreen Grid",
    "Fjordlight Pharma",
    "Granite Peak Bank",
    "Helix Robotics",
    "Ironbark Motors",
    "Juniper Cloud",
)
CITIES: Final = (
    "Delhi",
    "Lagos",
    "São Paulo",
    "Oslo",
    "Jakarta",
    "Toronto",
    "Nairobi",
    "Seoul",
    "Lisbon",
    "Lima",
)
COUNTRIES: Final = (
    "Kenya",
    "Chile",
    "Norway",
    "Vietnam",
    "Portugal",
    "Canada",
    "India",
    "Ghana",
    "Peru",
    "Japan",
)
SECTORS: Final = ("chipmakers", "airlines", "retailers", "utilities", "insurers", "shipping firms")
TOPICS: Final = (
    "battery recycling",
    "water desalination",
    "quantum sensors",
    "heat pumps",
    "vertical farming",
)
TEMPLATES: Final = (
    (
        "{company} shares jump {pct}% after quarterly results beat forecasts",
        "Investors cheered stronger margins at {company}, which raised its outlook for the year.",
    ),
    (
        "{company} to cut {num} jobs in restructuring plan",
        "The group said the changes would be completed by the end of the next financial year.",
    ),
    (
        "{city} unveils plan to expand public transit by {num} km",
        "Officials in {city} said construction would begin within eighteen months.",
    ),
    (
        "Central bank of {country} holds rates steady, signals patience",
        "Policymakers in {country} cited easing inflation but warned of uncertainty ahead.",
    ),
    (
        "Heatwave in {city} pushes power demand to a record",
        "Grid operators asked residents of {city} to limit use during the evening peak.",
    ),
    (
        "{sector} rally as investors bet on lower borrowing costs",
        "Shares of {sector} led the market higher for a third straight session.",
    ),
    (
        "Researchers report breakthrough in {topic}",
        "A team of engineers described a method that could cut costs of {topic} by {pct}%.",
    ),
    (
        "{country} and {country2} sign trade agreement on clean energy",
        "The deal covers tariffs, shared standards and joint investment in {topic}.",
    ),
    (
        "Storm disrupts flights in {city}; {num} departures cancelled",
        "Airports around {city} expect schedules to return to normal by tomorrow.",
    ),
    (
        "{company} opens new research centre in {city}",
        "The site will employ {num} people working on {topic}.",
    ),
    (
        "Startup focused on {topic} raises ${num} million",
        "The funding round was led by investors betting on demand from {sector}.",
    ),
    (
        "Election in {country} heads to a run-off",
        "No candidate cleared the threshold, setting up a second round next month.",
    ),
)


def simulated_article(seed: int, number: int, *, interval_s: float = DEFAULT_INTERVAL_S) -> Article:
    """Simulated article ``number`` (its text and time fixed by ``seed`` and ``number``)."""
    rng = random.Random(f"{seed}:{number}")
    title_template, summary_template = rng.choice(TEMPLATES)
    country, country2 = rng.sample(COUNTRIES, 2)
    values = {
        "company": rng.choice(COMPANIES),
        "city": rng.choice(CITIES),
        "country": country,
        "country2": country2,
        "sector": rng.choice(SECTORS),
        "topic": rng.choice(TOPICS),
        "pct": rng.randint(3, 28),
        "num": rng.choice((40, 120, 250, 600, 1200, 3000)),
    }
    title = title_template.format(**values)
    title = title[0].upper() + title[1:]
    published_at = EPOCH + timedelta(seconds=number * interval_s)
    url = f"https://news.flux.invalid/{published_at:%Y/%m/%d}/story-{number}"
    return Article(
        article_id=article_id_for(url),
        title=title,
        url=url,
        source=rng.choice(SOURCES),
        published_at=published_at,
        summary=summary_template.format(**values),
    )


class SimulatedNewsProvider:
    """A :class:`~flux.services.news.provider.NewsProvider` that needs no network.

    Args:
        seed: Simulation seed (``Settings.sim_seed``).
        interval_s: Simulated seconds between two articles.
        clock: Source of "now".
    """

    def __init__(self, seed: int, *, interval_s: float = DEFAULT_INTERVAL_S, clock: Clock = utc_now) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be > 0")
        self.seed = seed
        self.interval_s = interval_s
        self._clock = clock

    def latest_number(self) -> int:
        """Number of the newest article published by now."""
        return int((self._clock() - EPOCH).total_seconds() // self.interval_s)

    async def latest(self, limit: int = 20) -> tuple[Article, ...]:
        """The ``limit`` newest simulated articles (headlines repeated by chance appear once)."""
        newest = self.latest_number()
        candidates = [
            simulated_article(self.seed, n, interval_s=self.interval_s)
            for n in range(newest, max(-1, newest - 3 * limit), -1)
        ]
        return latest_unique(candidates, limit)

    async def aclose(self) -> None:
        """Nothing to release."""
