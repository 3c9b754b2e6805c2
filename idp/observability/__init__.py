"""Operations signals: JSON logs, Prometheus metrics and the audit trail. Imports no domain
module and no surface (the session count a scrape shows is handed in by the app factory)."""
