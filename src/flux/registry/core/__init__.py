"""Registry logic independent of HTTP and Kafka.

Values: log ``records``, the ``state`` replayed from them, ``model`` (schemas, versions, modes),
data contracts (``metadata``, ``rules``, ``subject_config``) and client input (``requests``).
Operations, one module per Confluent resource, composed by ``service``: ``reads``, ``config``
(config and mode), ``compatibility``, ``registration``, ``deletes``; with ``candidates`` (when a
request is a stored version) and ``data_contracts`` (what a registration's contracts become).
"""

__all__: list[str] = []
