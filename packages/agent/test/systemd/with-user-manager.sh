#!/bin/sh
# Runs real-systemd.test.ts: the systemd backend against a real `systemd --user` manager, on a
# machine where systemd is installed but is not PID 1 (a container, a CI runner). Needs root
# (for unshare -m) and /lib/systemd/systemd.
#
# systemd refuses to start a user manager unless /run/systemd/system exists ("booted with
# systemd"). The script makes that so only inside a private mount namespace (a tmpfs over
# /run/systemd), starts the manager there with a throw-away HOME and XDG_RUNTIME_DIR, runs the
# tests, and tells the manager to exit. Nothing outside the namespace sees any of it.
#
#   packages/agent/test/systemd/with-user-manager.sh [vitest options]
set -eu
if [ "${1:-}" != "--inside" ]; then
  exec unshare --mount --propagation private "$0" --inside "$@"
fi
shift
cd "$(dirname "$0")/../../../.."

root=$(mktemp -d /tmp/opsfleet-real-systemd.XXXXXX)
mount -t tmpfs tmpfs /run/systemd
mkdir -p /run/systemd/system
export XDG_RUNTIME_DIR="$root/run" HOME="$root/home"
mkdir -p -m 700 "$XDG_RUNTIME_DIR" "$HOME"

/lib/systemd/systemd --user >"$root/manager.log" 2>&1 &
manager=$!
cleanup() {
  systemctl --user exit >/dev/null 2>&1 || kill "$manager" 2>/dev/null || true
  wait "$manager" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT

i=0
until [ "$(systemctl --user is-system-running 2>/dev/null || true)" = running ]; do
  i=$((i + 1))
  if [ "$i" -gt 100 ]; then
    echo "the user manager did not come up:" >&2
    cat "$root/manager.log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "systemd user manager: $(systemctl --user --version | head -n 1), HOME=$HOME"

OPSFLEET_REAL_SYSTEMD=1 npx vitest run packages/agent/test/systemd/real-systemd.test.ts "$@"
