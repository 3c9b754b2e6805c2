"""Administration: the service layer behind the admin API and the `idp` CLI (placeholder until the
admin-api branch's base lands; the merge takes theirs)."""
