"""Governance policies, approvals, and access explanations and simulations."""
