"""Live updates: change events fanned out through Redis to every replica."""
