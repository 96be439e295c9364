#!/bin/sh
# Installs Gatehouse @VERSION@ from this bundle, with no network (docs/install.md):
#   sudo ./install.sh
set -eu
cd "$(dirname "$0")"
[ "$(id -u)" -eq 0 ] || { echo "run it as root: sudo ./install.sh" >&2; exit 1; }
arch=$(dpkg --print-architecture)
[ "$arch" = "@ARCH@" ] || { echo "this bundle is for @ARCH@; this box is $arch" >&2; exit 1; }
sha256sum --quiet -c SHA256SUMS || { echo "the bundle is damaged (SHA256SUMS)" >&2; exit 1; }
install -d -m 755 /var/cache/gatehouse/wheels
cp wheels/*.whl /var/cache/gatehouse/wheels/
# Depends (python3 3.11, adduser, systemd, udev, libusb) are on every Raspberry Pi OS
# image; if one is missing, apt-get -f install fetches it (that step needs a network).
if ! dpkg -i gatehouse_@VERSION@_all.deb; then
    apt-get -f install -y
fi
echo
echo "Installed. Next: edit /etc/gatehouse/config.toml, put keyring.json beside it, then"
echo "  sudo -u gatehouse edge-agent doctor --config /etc/gatehouse/config.toml"
echo "  sudo systemctl start gatehouse"
