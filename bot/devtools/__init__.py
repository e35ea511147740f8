"""Developer tools: `okrbot demo`. Not used by the running bot."""
