#!/usr/bin/env bash
# Install the Debian packages the lab needs (idempotent; quiet when everything is there).
set -euo pipefail
pkgs=(qemu-system-x86 qemu-utils debootstrap busybox-static cpio podman runc netcat-openbsd
      iproute2 arptables nftables iptables e2fsprogs openssh-client curl graphviz keepalived ipvsadm
      iputils-ping python-is-python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# keepalived/ipvsadm are installed on the controller only for `keepalived -t` template tests;
# the host kernel has no IPVS, so make sure the packaged daemon is not left running here.
systemctl disable --now keepalived >/dev/null 2>&1 || true
