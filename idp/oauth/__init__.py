"""The protocol surface: authlib wiring, grants and endpoints."""
