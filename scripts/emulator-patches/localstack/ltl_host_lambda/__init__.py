"""landing-to-lake's LocalStack add-on: a host (no Docker) Node.js Lambda executor."""
