#!/bin/bash
# Installs the Debian 12 packages the project builds, tests and demos with.
# Runs apt-get only when something is missing, so repeated calls are cheap.
set -eu

packages=(
  gcc meson ninja-build pkg-config
  libglib2.0-dev libdnnl-dev
  python3 python3-onnx python3-numpy python3-jinja2
  libonnx-testdata
  python3-torch python3-torchvision
  clang libclang-rt-14-dev libomp-14-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libjson-glib-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  libmosquitto-dev mosquitto openssl
  libsqlite3-dev
  libze-dev
  libva-dev libgstreamer-plugins-bad1.0-dev
  pocl-opencl-icd ocl-icd-opencl-dev opencl-c-headers oclgrind
  curl ca-certificates
  jq
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
