"""HTTP pieces every service exposes."""
