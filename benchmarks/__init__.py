"""Speed, scale and memory measurements. Reported, never asserted: see benchmarks/README.md."""
