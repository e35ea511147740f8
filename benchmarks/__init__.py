"""Speed, scale and memory measurements. Reported, never asserted: see docs/performance.md."""
