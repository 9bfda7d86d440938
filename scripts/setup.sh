#!/usr/bin/env bash
# fwemu set-up: installs the Debian bookworm packages fwemu builds with and fetches the Mbed TLS 2.28
# source package for the firmware build. Idempotent; quick when everything is present.
#
#   scripts/setup.sh            install packages + Mbed TLS source into third_party/mbedtls-src
#
# Uses sudo when not run as root. Writes no mirror host name anywhere: the deb-src entry is derived
# from this machine's own configured Debian sources.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Why each package is here: see README.md "Dependencies".
PKGS=(
  build-essential cmake pkg-config
  clang                   # second host compiler: CI builds with it too (scripts/test.sh)
  libunicorn-dev          # the CPU: Unicorn 2.0.1 Cortex-M4
  libmbedtls-dev          # host SHA-256 / ECDSA / ASN.1 (headers, manifests, keys)
  libyaml-dev             # scenario parser
  libcmocka-dev           # unit tests
  libjansson-dev          # JSON output (boot --json, reports)
  zlib1g-dev              # CRC-32 on the host (zlib's is the header's CRC)
  liblz4-dev              # delta payload frames
  libdivsufsort-dev       # delta suffix sorting
  libxxhash-dev           # fast state fingerprints (sweep de-duplication)
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi   # firmware cross build
  dpkg-dev                # apt-get source unpacking (dpkg-source)
  xz-utils ca-certificates
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# deb-src: derive from the configured deb sources (deb822 *.sources files and one-line lists).
srcfile=/etc/apt/sources.list.d/fwemu-deb-src.sources
have_src() {
  grep -rqsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null && return 0
  grep -rqsE '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources 2>/dev/null && return 0
  return 1
}
need_update=0
if ! have_src; then
  tmp=$(mktemp)
  # deb822 files: copy each stanza whose URIs point at a Debian archive, with Types: deb-src
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN{RS=""; ORS="\n\n"}
         /(^|\n)Types:[^\n]*deb/ && /(^|\n)Suites:[^\n]*bookworm/ {
           out=""; n=split($0, L, "\n");
           for (i=1;i<=n;i++) { if (L[i] ~ /^#/) continue;
             if (L[i] ~ /^Types:/) L[i]="Types: deb-src"; out=out L[i] "\n" }
           printf "%s\n", out }' "$f" >>"$tmp"
  done
  # one-line format
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    grep -E '^[[:space:]]*deb[[:space:]].*bookworm' "$f" | sed -E 's/^[[:space:]]*deb[[:space:]]/deb-src /' \
      | awk '{print "Types: deb-src"; u=$2; i=2; if ($2 ~ /^\[/) {while ($i !~ /\]$/) i++; i++} ; print "URIs: " $i; print "Suites: " $(i+1); c=""; for (j=i+2;j<=NF;j++) c=c " " $j; print "Components:" c; print ""}' >>"$tmp" || true
  done
  if [ -s "$tmp" ]; then
    $SUDO install -m 0644 "$tmp" "$srcfile"
    need_update=1
  fi
  rm -f "$tmp"
fi

stamp=/var/lib/apt/periodic/fwemu-update-stamp
if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ] || [ ! -e "$stamp" ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Mbed TLS 2.28 source for the firmware (cross-built with our own config in firmware/common/mbedtls).
dest="$here/third_party/mbedtls-src"
if [ ! -f "$dest/library/sha256.c" ]; then
  work=$(mktemp -d); chmod 755 "$work"
  ( cd "$work" && apt-get source -qq mbedtls >/dev/null 2>&1 || apt-get source mbedtls )
  srcdir=$(find "$work" -maxdepth 1 -mindepth 1 -type d -name 'mbedtls*' | head -n1)
  [ -n "$srcdir" ] && [ -f "$srcdir/library/sha256.c" ] || { echo "setup: mbedtls source not found" >&2; exit 1; }
  ver=$(sed -nE 's/^#define MBEDTLS_VERSION_STRING +"([0-9.]+)".*/\1/p' "$srcdir/include/mbedtls/version.h" | head -n1)
  case "$ver" in 2.28.*) ;; *) echo "setup: expected Mbed TLS 2.28.x source, got '$ver'" >&2; exit 1;; esac
  mkdir -p "$here/third_party"
  rm -rf "$dest"; mkdir -p "$dest"
  cp -r "$srcdir/library" "$srcdir/include" "$dest/"
  cp "$srcdir/LICENSE" "$dest/" 2>/dev/null || true
  echo "$ver" >"$dest/VERSION"
  rm -rf "$work"
  echo "setup: Mbed TLS $ver source in third_party/mbedtls-src"
fi

# LZ4 1.9 source for the firmware (lib/lz4.c: the device's delta patcher decodes LZ4 blocks with
# LZ4_decompress_safe, cross-built; the host uses Debian's liblz4 from the same source package).
dest="$here/third_party/lz4-src"
if [ ! -f "$dest/lib/lz4.c" ]; then
  work=$(mktemp -d); chmod 755 "$work"
  ( cd "$work" && apt-get source -qq lz4 >/dev/null 2>&1 || apt-get source lz4 )
  srcdir=$(find "$work" -maxdepth 1 -mindepth 1 -type d -name 'lz4*' | head -n1)
  [ -n "$srcdir" ] && [ -f "$srcdir/lib/lz4.c" ] || { echo "setup: lz4 source not found" >&2; exit 1; }
  ver=$(awk '/#define LZ4_VERSION_MAJOR/{a=$3} /#define LZ4_VERSION_MINOR/{b=$3} /#define LZ4_VERSION_RELEASE/{c=$3} END{print a"."b"."c}' "$srcdir/lib/lz4.h")
  case "$ver" in 1.9.*) ;; *) echo "setup: expected LZ4 1.9.x source, got '$ver'" >&2; exit 1;; esac
  mkdir -p "$here/third_party"
  rm -rf "$dest"; mkdir -p "$dest"
  cp -r "$srcdir/lib" "$dest/"
  cp "$srcdir/LICENSE" "$dest/" 2>/dev/null || true
  echo "$ver" >"$dest/VERSION"
  rm -rf "$work"
  echo "setup: LZ4 $ver source in third_party/lz4-src"
fi
