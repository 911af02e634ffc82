"""Site-wide HTTP infrastructure, beside ``config``: what every request passes through (middleware), the signed-out
pages kept per worker, the health check and the error pages. No app imports it; it may import the apps."""
