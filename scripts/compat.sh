#!/usr/bin/env bash
# The whole test suite against Debian 13 (trixie): LibTorch 2.6, GCC 14,
# OpenCV 4.10, nlohmann-json 3.11. Called as `scripts/dev.sh compat [ctest args]`.
#
# A trixie system is bootstrapped (debootstrap, minbase) into build-compat/root
# once; the repository is bind-mounted at its own path inside it, in a private
# mount namespace (nothing stays mounted when this ends), and the project's own
# scripts/dev.sh test runs there with its build folder in build-compat/build.
# A second run reuses the system, the installed packages and the build, so it
# only rebuilds what changed. Needs root (debootstrap, chroot, mount).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
compat="$root/build-compat"
system="$compat/root"
mirror="${WANDB_COMPAT_MIRROR:-http://deb.debian.org/debian}"

if [ "$(id -u)" -ne 0 ]; then
  exec sudo --preserve-env=WANDB_COMPAT_MIRROR bash "$0" "$@"
fi
for tool in debootstrap unshare chroot; do
  if ! command -v "$tool" >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap util-linux
    break
  fi
done

if [ ! -f "$system/.bootstrapped" ]; then
  echo "compat: bootstrapping Debian 13 (trixie) into $system" >&2
  rm -rf "$system"
  mkdir -p "$system"
  debootstrap --variant=minbase trixie "$system" "$mirror"
  touch "$system/.bootstrapped"
fi
# The build's own Python tests and install-deps.sh need these to resolve and install.
cp /etc/resolv.conf "$system/etc/resolv.conf"
mkdir -p "$system$root" "$system/proc" "$system/dev" "$system/tmp"

# Inside a private mount namespace: the mounts vanish with it.
exec unshare --mount --propagation private bash -euo pipefail -c '
  system="$1"; root="$2"; shift 2
  # The system folder becomes a mount point, so that "/" is one inside the
  # chroot (the tests that mount a tmpfs make "/" private first).
  mount --bind "$system" "$system"
  mount -t proc proc "$system/proc"
  mount --rbind /dev "$system/dev"
  mount -t tmpfs tmpfs "$system/tmp"
  mount --bind "$root" "$system$root"
  exec chroot "$system" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 WANDB_IMAGE_BUILD_DIR="$root/build-compat/build" \
    bash "$root/scripts/dev.sh" test "$@"
' compat "$system" "$root" "$@"
