"""digests."""
