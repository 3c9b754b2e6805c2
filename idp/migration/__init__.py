"""Moving users in and out: verifiers of imported hashes (schemes.py), the check every password
goes through (passwords.py), readers of import formats (readers.py) producing the project's own
records (records.py), the one batch writer (writer.py) and the export (export.py)."""
