"""Reading the audit log, and its live feed."""
