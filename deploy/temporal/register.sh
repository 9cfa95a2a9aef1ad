#!/bin/sh
# Creates the namespace (if missing) and the search attributes the interventions use.
# Safe to run on every start: existing ones of the same type are left as they are.
# The `temporal` CLI takes its client certificate from TEMPORAL_TLS_CLIENT_CERT_PATH and the
# other TEMPORAL_TLS_* variables docker-compose.yml sets: the frontend admits no one without.
set -eu

: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}" "${RETENTION:?}" "${SEARCH_ATTRIBUTES:?}"

# The frontend answers before the namespace registry has loaded; try for about a minute.
retry() {
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge 30 ]; then
      echo "gave up after $attempt attempts: $*" >&2
      return 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
}

ensure_namespace() {
  temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" \
    >/dev/null 2>&1 ||
    temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" \
      --retention "$RETENTION"
}

retry temporal operator cluster health --address "$TEMPORAL_ADDRESS"
retry ensure_namespace
# SEARCH_ATTRIBUTES: space-separated Name=Type pairs (see docker-compose.yml).
for pair in $SEARCH_ATTRIBUTES; do
  retry temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" \
    -n "$NAMESPACE" --name "${pair%%=*}" --type "${pair#*=}"
done
echo "Namespace $NAMESPACE and its search attributes are registered"
