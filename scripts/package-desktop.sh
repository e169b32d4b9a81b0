#!/usr/bin/env bash
# Packages band-desktop for Linux: a .deb and a relocatable tarball, in target/packages/.
#   ./scripts/package-desktop.sh
# Builds band-desktop (the launcher and the shell), band (the CLI the shell can install) and the
# dashboard (web/dist) in release mode, then lays them out as
#   /usr/bin/band-desktop, /usr/bin/band, /usr/lib/band/band-desktop-shell,
#   /usr/share/band/web/, /usr/share/applications/band-desktop.desktop, an icon.
# An AppImage needs appimagetool and its runtime, which Debian does not package (and this project
# cannot download), so the portable format here is the tarball: unpack it anywhere and run
# bin/band-desktop (it needs WebKitGTK 4.1 and GTK 3 from the system, and says so if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in dpkg-deb cargo; do
  command -v "$tool" >/dev/null 2>&1 || { echo "package-desktop needs $tool" >&2; exit 1; }
done
./scripts/web.sh
# BAND_PACKAGE_PROFILE=debug packages a debug build (a quick check of the layout).
profile="${BAND_PACKAGE_PROFILE:-release}"
if [ "$profile" = release ]; then cargo build --release --locked -p band-desktop -p band-cli
else cargo build --locked -p band-desktop -p band-cli; fi
target="${CARGO_TARGET_DIR:-target}"
version="$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="band-desktop"))')"
arch="$(dpkg --print-architecture)"
out="$target/packages"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

root="$stage/band-desktop_${version}_${arch}"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/band" "$root/usr/share/band" \
  "$root/usr/share/applications" "$root/usr/share/icons/hicolor/scalable/apps"
install -m 755 "$target/$profile/band-desktop" "$target/$profile/band" "$root/usr/bin/"
install -m 755 "$target/$profile/band-desktop-shell" "$root/usr/lib/band/"
cp -r web/dist "$root/usr/share/band/web"
cat > "$root/usr/share/applications/band-desktop.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=band
Comment=A local-first control room for AI coding agents
Exec=band-desktop
Icon=band
Terminal=false
Categories=Development;
DESKTOP
cat > "$root/usr/share/icons/hicolor/scalable/apps/band.svg" <<'SVG'
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#3d5afe"/><rect x="16" y="18" width="7" height="28" rx="2" fill="#fff"/><rect x="28.5" y="26" width="7" height="20" rx="2" fill="#fff"/><rect x="41" y="14" width="7" height="32" rx="2" fill="#fff"/></svg>
SVG
size_kb="$(du -sk "$root/usr" | cut -f1)"
cat > "$root/DEBIAN/control" <<CONTROL
Package: band-desktop
Version: $version
Architecture: $arch
Maintainer: band <band@localhost>
Installed-Size: $size_kb
Depends: libwebkit2gtk-4.1-0, libgtk-3-0, git
Recommends: libayatana-appindicator3-1
Section: devel
Priority: optional
Description: band, a local-first control room for AI coding agents (desktop shell)
 band-desktop shows band's dashboard in a window with band-server inside it, plus a tray
 icon, notifications, a folder picker and "open in editor". Also installs the band CLI.
CONTROL
mkdir -p "$out"
dpkg-deb --root-owner-group --build "$root" "$out/" >/dev/null

tarroot="$stage/band-desktop-$version-linux-$arch"
install -d "$tarroot/bin" "$tarroot/lib/band" "$tarroot/share"
cp "$root/usr/bin/band-desktop" "$root/usr/bin/band" "$tarroot/bin/"
cp "$root/usr/lib/band/band-desktop-shell" "$tarroot/lib/band/"
cp -r "$root/usr/share/band" "$root/usr/share/applications" "$root/usr/share/icons" "$tarroot/share/"
tar -C "$stage" -czf "$out/band-desktop-$version-linux-$arch.tar.gz" "band-desktop-$version-linux-$arch"

ls -l "$out"/band-desktop_"${version}"_"${arch}".deb "$out/band-desktop-$version-linux-$arch.tar.gz"
