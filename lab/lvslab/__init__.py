"""lvslab: the lvs.cluster test lab (QEMU/TCG VMs, podman systemd containers, netns clients).

Everything lives inside network namespaces the lab creates; see docs/dev/contract.md (the lab).
"""
