"""Template tags of the security app."""
