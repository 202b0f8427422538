"""The change feed: outbox events as the changes clients catch up with."""
