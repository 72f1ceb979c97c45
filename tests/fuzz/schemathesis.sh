#!/usr/bin/env bash
# Fuzzes the real `inventory` server from its own OpenAPI document with schemathesis (pinned,
# from PyPI), every check enabled, once per role: anonymous, admin, a vendor of MAD-001 and a
# customer. Fails on any finding.
#
#   FUZZ_EXAMPLES  test cases per operation and phase (default 10; try 200 locally)
#   FUZZ_SEED      the random seed (default fixed, so CI is repeatable; any integer explores
#                  other cases)
set -euo pipefail
cd "$(dirname "$0")/../.."

version=4.32.5
examples="${FUZZ_EXAMPLES:-10}"
seed="${FUZZ_SEED:-20261202}"
venv=target/schemathesis-venv

if ! "${venv}/bin/schemathesis" --version 2>/dev/null | grep -q "${version}"; then
    echo "installing schemathesis ${version} into ${venv}"
    if ! python3 -m venv "${venv}" >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq python3-venv) >/dev/null
        python3 -m venv "${venv}"
    fi
    "${venv}/bin/pip" install -q --disable-pip-version-check "schemathesis==${version}"
fi

cargo build -q --bin inventory
# Its own SQLite file and nothing shared: no Redis stream, no PostgreSQL schema.
unset REDIS_URL INVENTORY_DATABASE_URL INVENTORY_DATABASE_SCHEMA
binary=target/debug/inventory
work="$(mktemp -d)"
export INVENTORY_JWT_SECRET="$(head -c 48 /dev/urandom | base64 | tr -d '\n')"
export INVENTORY_DB="${work}/fuzz.db"
"${binary}" seed-demo >/dev/null
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# Streams per client raised: the fuzzer is one client opening many, and the cap has tests of
# its own (tests/api/abuse.rs).
INVENTORY_MAX_STREAMS_PER_CLIENT=256 INVENTORY_LOG=warn "${binary}" --bind "127.0.0.1:${port}" serve >"${work}/server.log" 2>&1 &
server=$!
trap 'kill ${server} 2>/dev/null || true; wait ${server} 2>/dev/null || true; rm -rf "${work}"' EXIT
base="http://127.0.0.1:${port}"

echo "schemathesis ${version}: ${examples} examples per operation, seed ${seed}, ${base}"
status=0
for role in anonymous admin vendor customer; do
    case "${role}" in
        anonymous) auth=() ;;
        admin) auth=(-H "Authorization: Bearer $("${binary}" token --role admin --sub fuzz-admin --ttl 1h)") ;;
        vendor) auth=(-H "Authorization: Bearer $("${binary}" token --role vendor --store MAD-001 --sub fuzz-vendor --ttl 1h)") ;;
        customer) auth=(-H "Authorization: Bearer $("${binary}" token --role customer --sub fuzz-customer --ttl 1h)") ;;
    esac
    echo "== as ${role}"
    if ! "${venv}/bin/schemathesis" --config-file tests/fuzz/schemathesis.toml run \
        "${base}/api-docs/openapi.json" "${auth[@]}" \
        --checks all --max-examples "${examples}" --seed "${seed}" \
        --suppress-health-check all --no-color --output-truncate false \
        --warnings off --wait-for-schema 30; then
        status=1
    fi
done

if ! kill -0 "${server}" 2>/dev/null; then
    echo "the server died during the fuzz run:" >&2
    tail -50 "${work}/server.log" >&2
    exit 1
fi
if grep -q "panicked" "${work}/server.log"; then
    echo "a handler panicked during the fuzz run:" >&2
    grep -B2 -A10 "panicked" "${work}/server.log" >&2
    exit 1
fi
exit "${status}"
