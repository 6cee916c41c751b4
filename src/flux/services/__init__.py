"""Domain services' upstream side: per-domain models, provider interfaces, live and simulated providers.

Each domain package (``weather``, ``crypto``, ``news``, ``stock``) exposes its frozen models, a
``typing.Protocol`` for its provider, and ``make_<domain>_provider(settings)`` which picks the live
adapter or the offline simulation from ``Settings.provider`` (simulated unless ``FLUX_PROVIDER=live``).
"""

__all__: list[str] = []
