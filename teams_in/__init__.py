"""The Microsoft Teams inbound adapter: activities in, one service call each (the counterpart of handlers/)."""

from teams_in.activities import register

__all__ = ["register"]
