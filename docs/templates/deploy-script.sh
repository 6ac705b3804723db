#!/bin/sh
# opsfleet standard deploy script (docs/agent.md, "Deploys"). The agent runs it for every
# operation of a version, with the OPSFLEET_* variables set; the same text serves install,
# update, deploy, rollback and uninstall.
#
# Layout under $OPSFLEET_APP_DIR:
#   releases/<version>/   one folder per installed version, the artifact (.tar.gz) unpacked
#   current -> releases/<version>   switched atomically, so readers never see a half switch
#   run.pid / run.unit    the detached process of the current version
#   logs/<version>.log    its output (setsid, nohup)
#
# The artifact holds an executable `bin/start` that runs the service in the foreground; it is
# started detached through the agent ($OPSFLEET_DETACH), so it outlives this script and the agent.
#
# Settings (environment of the agent, or set at the top of the version's copy of this script):
#   KEEP_RELEASES   releases kept for rollback, the current one included (default 3)
#   DETACH_METHOD   auto (systemd-run where systemd runs and the agent is root, else setsid),
#                   systemd-run, setsid, nohup
#   HEALTH_URL      polled until it answers 2xx; without it, the started pid must be alive
#   HEALTH_TIMEOUT  seconds to wait for health (default 30)
#   STOP_TIMEOUT    seconds the old process has to stop after SIGTERM (default 15)
set -eu

: "${OPSFLEET_APP_DIR:?run by the opsfleet agent}" "${OPSFLEET_VERSION:?}" "${OPSFLEET_OPERATION:?}"
KEEP_RELEASES=${KEEP_RELEASES:-3}
DETACH_METHOD=${DETACH_METHOD:-auto}
HEALTH_URL=${HEALTH_URL:-}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-30}
STOP_TIMEOUT=${STOP_TIMEOUT:-15}

app=$OPSFLEET_APP_DIR
version=$OPSFLEET_VERSION
release=$app/releases/$version

log() { printf '%s\n' "$*"; }
fail() { printf '%s\n' "$*" >&2; exit 1; }

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# Unpacks the artifact into releases/<version> once: a finished release has a .complete marker,
# an interrupted one is unpacked again from scratch.
install_release() {
  if [ -f "$release/.complete" ]; then
    log "release $version already installed"
    return
  fi
  [ -n "${OPSFLEET_ARTIFACT:-}" ] || fail "no artifact for $version and releases/$version is not installed"
  tmp=$app/releases/.$version.partial
  rm -rf "$tmp" "$release"
  mkdir -p "$tmp"
  tar -xzf "$OPSFLEET_ARTIFACT" -C "$tmp"
  touch "$tmp/.complete"
  mv "$tmp" "$release"
  log "installed $version into releases/$version"
}

stop_current() {
  if [ -f "$app/run.unit" ]; then
    unit=$(cat "$app/run.unit")
    log "stopping unit $unit"
    systemctl stop "$unit" 2>/dev/null || true
    rm -f "$app/run.unit"
  fi
  [ -f "$app/run.pid" ] || return 0
  pid=$(cat "$app/run.pid")
  rm -f "$app/run.pid"
  alive "$pid" || return 0
  log "stopping pid $pid"
  # A setsid start leads its own process group: the whole group is stopped.
  kill -TERM "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  waited=0
  while alive "$pid" && [ "$waited" -lt "$STOP_TIMEOUT" ]; do
    sleep 1
    waited=$((waited + 1))
  done
  if alive "$pid"; then
    log "pid $pid still runs after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
}

# `ln -sfn` alone removes the old link before making the new one; making it under another name
# and renaming it over `current` is one rename(2), so `current` always points somewhere.
switch_current() {
  ln -sfn "releases/$version" "$app/current.next"
  mv -T "$app/current.next" "$app/current"
  log "current -> releases/$version"
}

start_current() {
  [ -x "$release/bin/start" ] || { log "releases/$version has no bin/start: nothing to start"; return 0; }
  mkdir -p "$app/logs"
  out=$("$OPSFLEET_DETACH" --method "$DETACH_METHOD" --unit "opsfleet-${OPSFLEET_PROJECT}-${OPSFLEET_ENV}-${version}" \
    --log "$app/logs/$version.log" --pid-file "$app/run.pid" --cwd "$release" -- "$release/bin/start")
  case $out in
    [0-9]*) log "started pid $out" ;;
    *) printf '%s\n' "$out" > "$app/run.unit"; log "started unit $out" ;;
  esac
}

wait_healthy() {
  waited=0
  while [ "$waited" -lt "$HEALTH_TIMEOUT" ]; do
    if [ -n "$HEALTH_URL" ]; then
      curl -fsS -o /dev/null --max-time 2 "$HEALTH_URL" 2>/dev/null && { log "healthy: $HEALTH_URL"; return 0; }
    elif [ -f "$app/run.unit" ]; then
      systemctl is-active --quiet "$(cat "$app/run.unit")" && { log "healthy: unit active"; return 0; }
    elif [ -f "$app/run.pid" ]; then
      alive "$(cat "$app/run.pid")" && { log "healthy: pid $(cat "$app/run.pid") runs"; return 0; }
    else
      return 0
    fi
    sleep 1
    waited=$((waited + 1))
  done
  fail "not healthy after ${HEALTH_TIMEOUT}s (see $app/logs/$version.log)"
}

# Keeps the newest KEEP_RELEASES releases, never the current one or the previous version (the
# rollback target).
prune_releases() {
  keep_current=$(readlink "$app/current" 2>/dev/null | sed 's|^releases/||') || keep_current=
  n=0
  for r in $(ls -1t "$app/releases"); do
    n=$((n + 1))
    [ "$n" -le "$KEEP_RELEASES" ] && continue
    [ "$r" = "$keep_current" ] && continue
    [ "$r" = "${OPSFLEET_PREVIOUS_VERSION:-}" ] && continue
    rm -rf "${app:?}/releases/$r"
    log "removed old release $r"
  done
}

mkdir -p "$app/releases"
case $OPSFLEET_OPERATION in
  install | update | deploy | rollback)
    # A rollback to a kept release needs no artifact: releases/<version> is still there.
    install_release
    stop_current
    switch_current
    start_current
    wait_healthy
    prune_releases
    ;;
  uninstall)
    stop_current
    rm -f "$app/current"
    rm -rf "$app/releases" "$app/logs"
    log "uninstalled $OPSFLEET_PROJECT from $app"
    ;;
  *) fail "unknown operation $OPSFLEET_OPERATION" ;;
esac
