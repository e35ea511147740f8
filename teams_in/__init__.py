"""The Microsoft Teams inbound adapter: activities in, one service call each (the counterpart of handlers/).

Import `teams_in.activities` for the SDK handlers; `teams_in.catalogue` alone loads no SDK (the manifest).
"""
