"""The one service runtime all four domain services share.

Consumes a service's command topics at least once, hands each decoded command
to the domain's handler, publishes the resulting snapshot events through the
registry serde, and commits only after every event is acknowledged. Poison
records go to the catalogue's dead-letter topic; transient failures (broker or
registry away) are retried from the last committed offset.
"""
