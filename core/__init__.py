"""Infrastructure: settings, database, Temporal connection, the embedded stack."""
