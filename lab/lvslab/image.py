"""Build (or reuse) the lab images: one Debian rootfs per release (bookworm, trixie), each turned into
  - vmlinuz + a tiny busybox initramfs (virtio + ext4 only; copies per-VM files from /lab/root),
  - base.qcow2 (ext4 without partition table; each VM boots a qcow2 overlay of it),
  - rootfs.tar without kernel/modules -> podman image (systemd as PID 1),
  - an ed25519 ssh key for root.
Cached under ${LVSLAB_DIR}/img/<recipe-hash>/, one directory per release; the hash covers the
release, its package list, this file and the init script, so any change to the recipe rebuilds.
The release of a host comes from the topology (`release:` per host or for the whole file), else
from LVSLAB_RELEASE, else bookworm.
"""
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from lvslab import podman as pm
from lvslab.util import LabError, Log, Timer, lab_dir

RELEASES = ("bookworm", "trixie")
DEFAULT_RELEASE = "bookworm"
PACKAGES = [
    "systemd-sysv", "udev", "dbus", "openssh-server", "python3", "python3-apt", "ipvsadm", "keepalived",
    "arptables", "iptables", "nftables", "iproute2", "iputils-ping", "procps", "curl", "kmod",
    "linux-image-amd64", "ca-certificates", "netcat-openbsd", "ifupdown",
    # the director's own keepalived log (director_keepalived_log_facility: rsyslog rule, logrotate)
    "rsyslog", "logrotate",
]
# what a release needs beyond PACKAGES
RELEASE_PACKAGES = {"bookworm": [], "trixie": []}
INITRD_MODULES = ["virtio_pci", "virtio_blk", "crc32c_generic", "ext4"]
# driver/fs trees a virtio guest never loads
TRIM_MODULE_DIRS = [
    "drivers/gpu", "drivers/media", "drivers/net/wireless", "drivers/net/ethernet", "drivers/infiniband",
    "drivers/staging", "sound", "drivers/bluetooth", "net/bluetooth", "drivers/iio", "drivers/usb",
    "drivers/scsi", "drivers/hid", "drivers/input", "drivers/isdn", "drivers/mtd", "drivers/hwmon",
    "drivers/net/can", "net/wireless", "net/mac80211", "drivers/md", "fs/ocfs2", "fs/btrfs", "fs/xfs",
]
DISABLE_UNITS = [
    "apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer", "e2scrub_reap.service", "fstrim.timer",
    "getty@tty1.service", "keepalived.service", "networking.service",
]
MASK_UNITS = ["systemd-networkd-wait-online.service", "systemd-timesyncd.service"]

INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do insmod /mods/$m 2>/dev/null; done
i=0; while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
mount -t ext4 -o rw,noatime /dev/vda /newroot || { echo "lvslab-init: mount /dev/vda failed"; sh; }
# per-VM files (hostname, networkd config) appended to the initramfs by `lvslab up`
[ -d /lab/root ] && cp -a /lab/root/. /newroot/
umount /proc /sys; mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
"""

# lab speed-up, not part of the product: a bytecode cache for zipimport (see guest/lvslab_zipcache.py)
ZIPCACHE = Path(__file__).resolve().parent / "guest" / "lvslab_zipcache.py"

ARTIFACTS = ["vmlinuz", "initrd.img", "base.qcow2", "rootfs.tar", "id_lab", "id_lab.pub", "DONE"]


def default_release() -> str:
    """LVSLAB_RELEASE, else bookworm: the release of hosts whose topology names none."""
    return check_release(os.environ.get("LVSLAB_RELEASE") or DEFAULT_RELEASE, "LVSLAB_RELEASE")


def check_release(release: str, where: str) -> str:
    if release not in RELEASES:
        raise LabError(f"{where}: release {release!r} is not one of {', '.join(RELEASES)}")
    return release


def packages(release: str) -> list:
    return PACKAGES + RELEASE_PACKAGES[release]


def recipe_hash(release: str) -> str:
    h = hashlib.sha256()
    h.update(release.encode())
    h.update(",".join(packages(release)).encode())
    h.update(Path(__file__).read_bytes())
    h.update(INIT.encode())
    h.update(ZIPCACHE.read_bytes())
    return h.hexdigest()[:12]


def image_dir(release: str) -> Path:
    return lab_dir() / "img" / recipe_hash(release)


def debian_mirror() -> str:
    """The Debian mirror apt uses on this machine: the first source carrying a Debian release's main
    archive (bookworm, or any release the lab builds); the same mirror serves every release."""
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for f in files:
        if not f.is_file():
            continue
        text = f.read_text(errors="replace")
        if f.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line:
                        continue
                    k, v = line.split(":", 1)
                    fields[k.strip().lower()] = v.strip()
                suites = fields.get("suites", "").split()
                if "deb" in fields.get("types", "").split() and set(RELEASES) & set(suites):
                    for uri in fields.get("uris", "").split():
                        if "security" not in uri:
                            return uri
        else:
            for line in text.splitlines():
                parts = line.split()
                if len(parts) >= 3 and parts[0] == "deb":
                    i = 1
                    while parts[i].startswith("["):
                        while not parts[i].endswith("]"):
                            i += 1
                        i += 1
                    if parts[i + 1] in RELEASES and "security" not in parts[i]:
                        return parts[i]
    raise LabError(f"no Debian mirror ({' or '.join(RELEASES)}) found in /etc/apt/sources.list*")


def find_busybox() -> str:
    for p in ("/bin/busybox", "/usr/bin/busybox"):
        if Path(p).is_file():
            out = subprocess.run(["ldd", p], capture_output=True, text=True, check=False)
            if "not a dynamic executable" in (out.stdout + out.stderr) or out.returncode != 0:
                return p
    raise LabError("static busybox not found: install busybox-static (lab/install-deps.sh)")


def cached(d: Path) -> bool:
    return all((d / a).exists() for a in ARTIFACTS)


def ensure_image(log: Log, release: str, force: bool = False) -> Path:
    """Return the release's image dir, building it first when the recipe has no complete cache."""
    d = image_dir(release)
    if cached(d) and not force:
        ensure_podman_image(log, d)
        return d
    build(log, d, release)
    ensure_podman_image(log, d)
    return d


def _chroot(log: Log, root: Path, *argv, check=True):
    return log.run(["chroot", root, *argv], check=check)


def build(log: Log, out: Path, release: str) -> None:
    t = Timer(log, f"image {out.name} ({release})")
    log.say(f"building image {out} (log: {log.path})")
    work = out.with_name(out.name + ".build")
    if work.exists():
        shutil.rmtree(work)
    if out.exists():
        shutil.rmtree(out)
    work.mkdir(parents=True)
    root = work / "rootfs"
    debs = lab_dir() / "cache" / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    mirror = debian_mirror()
    log.say(f"  debootstrap {release} from {mirror}")
    log.run(["debootstrap", "--variant=minbase", f"--cache-dir={debs}", f"--include={','.join(packages(release))}",
             release, root, mirror])
    t.stage("debootstrap")

    kver = sorted(os.listdir(root / "lib/modules"))[-1]
    # ssh key for root
    log.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lvslab", "-f", work / "id_lab"])
    (root / "root/.ssh").mkdir(mode=0o700, exist_ok=True)
    shutil.copy(work / "id_lab.pub", root / "root/.ssh/authorized_keys")
    os.chmod(root / "root/.ssh/authorized_keys", 0o600)
    # basics
    (root / "etc/fstab").write_text("/dev/vda / ext4 defaults,noatime 0 1\n")
    (root / "etc/hostname").write_text("lvslab\n")
    (root / "etc/hosts").write_text("127.0.0.1 localhost\n::1 localhost ip6-localhost\n")
    (root / "etc/machine-id").write_text("")  # generated per machine at first boot
    resolv = root / "etc/resolv.conf"
    if resolv.is_symlink() or resolv.exists():
        resolv.unlink()
    resolv.write_text("")
    (root / "etc/ssh/sshd_config.d/lvslab.conf").write_text("UseDNS no\nPermitRootLogin prohibit-password\n")
    (root / "etc/systemd/network").mkdir(parents=True, exist_ok=True)
    # ifupdown stays installed (persistence backends are tested against it) but inactive:
    # networkd owns the interfaces; the lab's files are 10-lvslab-*.network
    (root / "etc/network/interfaces").write_text(
        "# lvslab: ifupdown is installed but networking.service is disabled (systemd-networkd is active)\n"
        "source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n")
    # AnsiballZ payloads are zip imports, which Python compiles at every task: cache their bytecode
    site = root / "usr/lib/python3/dist-packages"
    shutil.copy(ZIPCACHE, site / ZIPCACHE.name)
    (site / "lvslab-zipcache.pth").write_text("import lvslab_zipcache\n")
    _chroot(log, root, "systemctl", "enable", "systemd-networkd.service", "systemd-network-generator.service")
    for u in DISABLE_UNITS:
        _chroot(log, root, "systemctl", "disable", u, check=False)
    for u in MASK_UNITS:
        _chroot(log, root, "systemctl", "mask", u, check=False)
    # trim
    for sub in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale"):
        p = root / sub
        if p.is_dir():
            for c in p.iterdir():
                if c.is_dir() and not c.is_symlink():
                    shutil.rmtree(c)
                elif c.name != "lock":
                    c.unlink()
    mods = root / "lib/modules" / kver / "kernel"
    for sub in TRIM_MODULE_DIRS:
        shutil.rmtree(mods / sub, ignore_errors=True)
    _chroot(log, root, "depmod", "-a", kver)
    t.stage("customize+trim")

    # kernel + tiny initramfs
    shutil.copy(root / f"boot/vmlinuz-{kver}", work / "vmlinuz")
    ird = work / "initrd"
    for d in ("bin", "dev", "proc", "sys", "newroot", "mods"):
        (ird / d).mkdir(parents=True)
    shutil.copy(find_busybox(), ird / "bin/busybox")
    order = []
    for m in INITRD_MODULES:
        deps = log.run(["chroot", root, "modprobe", "--show-depends", "-S", kver, m], capture=True).stdout
        for line in deps.splitlines():
            parts = line.split()
            if parts and parts[0] == "insmod" and parts[1] not in order:
                order.append(parts[1])
    names = [_initrd_module(root, f, ird / "mods") for f in order]
    (ird / "mods/order").write_text("".join(n + "\n" for n in names))
    (ird / "init").write_text(INIT)
    os.chmod(ird / "init", 0o755)
    cpio_gz(ird, work / "initrd.img")
    t.stage("kernel+initramfs")

    # disk: raw ext4 -> base qcow2
    size_mb = int(log.run(["du", "-sm", root], capture=True).stdout.split()[0]) + 600
    raw = work / "base.raw"
    with open(raw, "wb") as fh:
        fh.truncate(size_mb * 1024 * 1024)
    log.run(["mkfs.ext4", "-q", "-F", "-L", "lvslab", "-E", "lazy_itable_init=0", "-d", root, raw])
    log.run(["qemu-img", "convert", "-O", "qcow2", raw, work / "base.qcow2"])
    raw.unlink()
    t.stage("ext4+qcow2")

    # container rootfs: no kernel, no modules, no fstab
    log.run(["tar", "-C", root, "--numeric-owner",
             "--exclude=./boot", "--exclude=./usr/lib/modules", "--exclude=./lib/modules", "--exclude=./etc/fstab",
             "-cf", work / "rootfs.tar", "."])
    shutil.rmtree(root)
    shutil.rmtree(ird)
    (work / "RELEASE").write_text(release + "\n")
    (work / "DONE").write_text(time.strftime("%F %T\n"))
    work.rename(out)
    t.stage("rootfs.tar")
    t.total()


def _initrd_module(root: Path, path: str, dest: Path) -> str:
    """Copy one kernel module into the initramfs, uncompressed: busybox insmod loads plain .ko files
    only, and trixie's kernel ships its modules as .ko.xz (bookworm's are plain)."""
    src = Path(str(root) + path)
    if src.suffix == ".ko":
        shutil.copy(src, dest)
        return src.name
    if src.suffix == ".xz":
        data = lzma.decompress(src.read_bytes())
    elif src.suffix == ".zst":
        data = subprocess.run(["zstd", "-dc", src], capture_output=True, check=True).stdout
    else:
        raise LabError(f"kernel module {path}: unknown compression")
    (dest / src.stem).write_bytes(data)
    return src.stem


def cpio_gz(src: Path, dest: Path) -> None:
    """newc cpio of src (paths relative to src), gzip -1."""
    files = subprocess.run(["find", "."], cwd=src, capture_output=True, text=True, check=True).stdout
    with open(dest, "wb") as out:
        cp = subprocess.Popen(["cpio", "-o", "-H", "newc", "--quiet"], cwd=src, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
        gz = subprocess.Popen(["gzip", "-1"], stdin=cp.stdout, stdout=out)
        cp.stdout.close()
        cp.communicate(files.encode())
        gz.wait()
        if cp.returncode or gz.returncode:
            raise LabError(f"cpio/gzip failed for {src}")


def ensure_podman_image(log: Log, d: Path) -> str:
    ref = pm.image_ref(d.name)
    for sub in ("root", "run", "tmp"):
        (pm.podman_root() / sub).mkdir(parents=True, exist_ok=True)
    if log.run(pm.podman("image", "exists", ref), check=False).returncode == 0:
        return ref
    t0 = time.monotonic()
    log.run(pm.podman("import", "-q", d / "rootfs.tar", ref))
    log.say(f"  podman import {ref:<30} {time.monotonic() - t0:6.1f} s")
    return ref
