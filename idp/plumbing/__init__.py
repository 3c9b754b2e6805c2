"""Infrastructure shared by every surface: HTTP plumbing (security headers, CORS, rate limits,
proxy trust, the request context), guarded outbound requests, hashing and encryption at rest.
It imports no domain module and no surface."""
