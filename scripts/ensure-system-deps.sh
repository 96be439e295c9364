#!/usr/bin/env bash
# Installs the Debian packages the venv and the tests need, only where they are missing.
# Safe to run again: it checks before it installs.
#
#   ensure-system-deps.sh                 what the venv and the demo need (make venv/demo)
#   ensure-system-deps.sh --with-browser  and what only the tests need (make test): Debian's
#                                         chromium for the browser tests (a few hundred MB
#                                         the agent never uses) and lintian for the package
set -euo pipefail

with_browser=0
for arg in "$@"; do
  case "$arg" in
    --with-browser) with_browser=1 ;;
    *) echo "usage: $0 [--with-browser]" >&2; exit 2 ;;
  esac
done

need=()
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
command -v python3 >/dev/null || need+=(python3)
# evdev (USB keyboard-wedge scanners) builds from source: a C compiler, the kernel's input
# headers and Python's headers.
command -v gcc >/dev/null || need+=(gcc)
[ -f /usr/include/linux/input.h ] || need+=(linux-libc-dev)
python3 -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null || need+=(python3-dev)
# zbar: the optional camera decode backend (pyzbar); its tests decode real images with it.
/sbin/ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0' || need+=(libzbar0)
# chromium: the browser tests (tests/edge_agent/api/browser/) drive Debian's build through Playwright
# (never `playwright install`, which downloads a browser of its own).
if [ "$with_browser" -eq 1 ]; then
  command -v chromium >/dev/null || need+=(chromium)
  # lintian: tests/deploy checks the Debian package `make deb` builds (docs/install.md).
  command -v lintian >/dev/null || need+=(lintian)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing system packages: ${need[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null; then
  SUDO=(sudo)
else
  echo "Missing system packages (${need[*]}) and no root/sudo to install them." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq "${need[@]}"
