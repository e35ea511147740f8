"""The Microsoft Teams outbound adapter: the SDK app, Adaptive Card renderers and the connector sender."""
