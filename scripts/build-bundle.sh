#!/usr/bin/env bash
# `make bundle`: everything a box needs to install with no network, in one folder (and
# a .tar of it): the .deb, a wheelhouse of every Python dependency built for THIS
# machine's architecture and Python, install.sh and SHA256SUMS.
#
# Make it on a machine like the box (a Raspberry Pi with Raspberry Pi OS 64-bit, or any
# arm64 Debian 12, e.g. `docker run --platform linux/arm64 debian:12`) with internet;
# carry the .tar to the venue. evdev has no prebuilt wheels, so it is built here (gcc
# and the kernel headers: scripts/ensure-system-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=$(realpath -m "${DIST:-dist}")
VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
ARCH=$(dpkg --print-architecture)
PYTAG=$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
[ "$PYTAG" = cp311 ] || echo "warning: wheels for $PYTAG; Debian 12 / Raspberry Pi OS has Python 3.11" >&2

deb=$(DIST="$OUT" bash scripts/build-deb.sh)
NAME="gatehouse-bundle-$VERSION-$ARCH"
BUNDLE="$OUT/$NAME"
rm -rf "$BUNDLE" && mkdir -p "$BUNDLE/wheels"
# Resolve the dependencies of the very wheel the .deb carries (no second build).
own="$BUNDLE/.own"
mkdir -p "$own"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$own" ./opt/gatehouse/wheels
"$PY" -m pip wheel --quiet -w "$BUNDLE/wheels" "$own"/opt/gatehouse/wheels/gatehouse-*.whl pip >/dev/null
rm -rf "$own"
rm -f "$BUNDLE"/wheels/gatehouse-*.whl   # the .deb carries its own
cp "$deb" "$BUNDLE/"
sed -e "s/@ARCH@/$ARCH/g" -e "s/@VERSION@/$VERSION/g" deploy/bundle-install.sh > "$BUNDLE/install.sh"
chmod 755 "$BUNDLE/install.sh"
(cd "$BUNDLE" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum > SHA256SUMS)
tar -C "$OUT" -cf "$OUT/$NAME.tar" "$NAME"
echo "$OUT/$NAME.tar"
