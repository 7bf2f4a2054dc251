# Installs what building and testing Lianxin needs, when it is missing.
# Sourced by scripts/start and scripts/test; every step is idempotent.

set -euo pipefail

BINARYEN_VERSION=132.0.0

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

ensure_rust_tools() {
  if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  # scripts/build runs the steps of cargo-leptos itself (installing it took
  # 26 minutes); wasm-bindgen must be the lockfile's version.
  local want
  want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    log "installing wasm-bindgen-cli $want"
    # Optimised lightly (opt-level 1): it runs for seconds per build, and a
    # fresh machine compiles it on the way to its first start. The saving
    # has not been measured on its own.
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
      cargo install wasm-bindgen-cli --version "$want"
  fi
}

ensure_node_tools() {
  if ! command -v npm >/dev/null; then
    log "installing Node.js and npm"
    apt-get update -qq && apt-get install -y -qq nodejs npm
  fi
  if ! command -v brotli >/dev/null; then
    log "installing brotli (scripts/build compresses the release's files with it)"
    apt-get update -qq && apt-get install -y -qq brotli
  fi
  if [ ! -x node_modules/.bin/wasm-opt ]; then
    log "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm"
    npm install --no-save --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null
  fi
}

ensure_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's chromium"
    apt-get update -qq && apt-get install -y -qq chromium
  fi
  if [ ! -d end2end/node_modules/@playwright/test ]; then
    log "installing the end-to-end test packages"
    (cd end2end && npm ci --no-audit --no-fund)
  fi
}

# The PostgreSQL server the tests use: the machine's own cluster on
# 127.0.0.1:5432 (trust authentication), started when it is not running.
# Tests create and drop their own databases on it.
export LIANXIN_TEST_PG="${LIANXIN_TEST_PG:-postgres://127.0.0.1:5432/test}"

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    return
  fi
  if ! command -v pg_ctlcluster >/dev/null; then
    log "installing PostgreSQL"
    apt-get update -qq && apt-get install -y -qq postgresql
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -1)
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return
    sleep 1
  done
  echo "PostgreSQL did not start on 127.0.0.1:5432" >&2
  return 1
}

# An S3-compatible server for the photo store's tests (moto, from PyPI:
# MinIO is not in the registries this machine reaches), on 127.0.0.1:9000,
# with the variables the photo store and the test read.
ensure_s3() {
  if ! command -v moto_server >/dev/null; then
    log "installing moto (an S3-compatible test server)"
    pip install -q 'moto[server]'
  fi
  if ! curl -s -o /dev/null http://127.0.0.1:9000/; then
    log "starting moto on 127.0.0.1:9000"
    (moto_server -H 127.0.0.1 -p 9000 >/tmp/lianxin-moto.log 2>&1 &)
    for _ in $(seq 1 30); do
      curl -s -o /dev/null http://127.0.0.1:9000/ && break
      sleep 1
    done
  fi
  export LIANXIN_TEST_S3=http://127.0.0.1:9000 AWS_ENDPOINT=http://127.0.0.1:9000 \
    AWS_ALLOW_HTTP=true AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
}

ensure_fuzzer() {
  if ! command -v schemathesis >/dev/null; then
    log "installing schemathesis (an API fuzzer)"
    pip install -q 'schemathesis==4.32.5'
  fi
}

# Lighthouse (scripts/lighthouse), pinned in its own package so that the
# journeys' install does not carry its 190 MB.
ensure_lighthouse() {
  if [ ! -x end2end/lighthouse/node_modules/.bin/lighthouse ]; then
    log "installing lighthouse from npm"
    (cd end2end/lighthouse && npm ci --no-audit --no-fund)
  fi
}

# nginx and wrk for scripts/throughput: the app's pages against the same
# bytes from nginx, on this machine.
ensure_bench_tools() {
  if ! command -v wrk >/dev/null || [ ! -x /usr/sbin/nginx ]; then
    log "installing nginx and wrk"
    apt-get update -qq && apt-get install -y -qq nginx wrk
  fi
}

# What leptos reads at build time (the output name is baked in) and when
# serving: the same for scripts/build and plain cargo, or each rebuilds
# everything the other built.
export LEPTOS_OUTPUT_NAME=lianxin
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
