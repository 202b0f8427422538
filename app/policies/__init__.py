"""Governance policies: their records, approvals, reports and the process's cache."""
