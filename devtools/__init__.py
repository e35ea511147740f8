"""Developer tools that run only from a source checkout (not shipped in the wheel): the demo."""
