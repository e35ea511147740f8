"""okr_io."""
