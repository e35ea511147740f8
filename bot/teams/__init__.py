"""The Microsoft Teams outbound adapter: the SDK app, Adaptive Card renderers and the connector sender."""

import bot.teams.lists  # noqa: F401  (registers the list and help cards on bot.teams.cards.render)
