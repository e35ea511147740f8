"""okrs."""
