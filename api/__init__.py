"""The HTTP API: a thin client of Temporal (commands, status) and of the read model (lists,
audit trail, exports). Build it with `api.app.create_app`."""
