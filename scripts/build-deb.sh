#!/usr/bin/env bash
# `make deb`: dist/gatehouse_<version>_all.deb with dpkg-deb (no debhelper needed).
#
# The package holds this project's own wheel, the systemd units, udev rules, journald
# limits, the config (a conffile) and the maintainer scripts; the dependency wheels come
# from the offline bundle (scripts/build-bundle.sh), because they are specific to the
# box's architecture and this package is not. DIST=dir puts it elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=$(realpath -m "${DIST:-dist}")
VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
PKG="$STAGE/pkg"

# Built from a copy of the tree (tracked and new files, nothing git ignores): setuptools
# writes build/ beside the sources, and two builds at once must not share one.
mkdir "$STAGE/src"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$STAGE/src"
"$PY" -m pip wheel --quiet --no-deps -w "$STAGE/wheel" "$STAGE/src" >/dev/null
wheel="gatehouse-$VERSION-py3-none-any.whl"
test -f "$STAGE/wheel/$wheel"

install -D -m 644 "$STAGE/wheel/$wheel" "$PKG/opt/gatehouse/wheels/$wheel"
install -D -m 644 deploy/gatehouse.service "$PKG/lib/systemd/system/gatehouse.service"
install -D -m 644 deploy/gatehouse-nats.service "$PKG/lib/systemd/system/gatehouse-nats.service"
install -D -m 644 deploy/udev/70-gatehouse-scanners.rules "$PKG/lib/udev/rules.d/70-gatehouse-scanners.rules"
install -D -m 644 deploy/journald/60-gatehouse.conf "$PKG/usr/lib/systemd/journald.conf.d/60-gatehouse.conf"
install -D -m 644 config.example.toml "$PKG/etc/gatehouse/config.toml"
install -D -m 644 deploy/debian/copyright "$PKG/usr/share/doc/gatehouse/copyright"
install -D -m 644 deploy/debian/README.Debian "$PKG/usr/share/doc/gatehouse/README.Debian"
install -D -m 644 deploy/grafana/gatehouse-dashboard.json "$PKG/usr/share/gatehouse/grafana-dashboard.json"
install -D -m 644 deploy/debian/lintian-overrides "$PKG/usr/share/lintian/overrides/gatehouse"
date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
printf 'gatehouse (%s) stable; urgency=medium\n\n  * Release %s.\n\n -- Gatehouse packaging <packaging@gatehouse.example.org>  %s\n' \
    "$VERSION" "$VERSION" "$date" | gzip -9n > "$PKG/usr/share/doc/gatehouse/changelog.gz"
chmod 644 "$PKG/usr/share/doc/gatehouse/changelog.gz"
install -d -m 755 "$PKG/usr/bin"
ln -s /opt/gatehouse/venv/bin/edge-agent "$PKG/usr/bin/edge-agent"

install -d -m 755 "$PKG/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@SIZE@/$size/" deploy/debian/control.in > "$PKG/DEBIAN/control"
for script in postinst prerm postrm; do
    sed -e "s/@VERSION@/$VERSION/" "deploy/debian/$script" > "$PKG/DEBIAN/$script"
    chmod 755 "$PKG/DEBIAN/$script"
done
echo /etc/gatehouse/config.toml > "$PKG/DEBIAN/conffiles"
(cd "$PKG" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$PKG/DEBIAN/md5sums"
chmod 644 "$PKG/DEBIAN/control" "$PKG/DEBIAN/conffiles" "$PKG/DEBIAN/md5sums"
find "$PKG" -type d -exec chmod 755 {} +
find "$PKG" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$OUT"
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$OUT/gatehouse_${VERSION}_all.deb" >/dev/null
echo "$OUT/gatehouse_${VERSION}_all.deb"
