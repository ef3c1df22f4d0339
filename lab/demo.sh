#!/usr/bin/env bash
# `make demo`: bring the lab up (pair topology by default), roll the mixed DR + NAT example with a
# director pair out with playbooks/site.yml, check it with playbooks/verify.yml (distribution table),
# show ipvsadm -Ln from the active director, and say how to log in and how to tear down.
#   LVSLAB_NAME      lab instance (default lab; `make lab-down` tears that one down)
#   LVSLAB_TOPOLOGY  topology file (default lab/topologies/pair.yml)
#   DEMO_INVENTORY   example inventory combined with the lab's (default playbooks/inventories/lab-mixed)
#   DEMO_PLAYBOOK    run this playbook instead of lab-backends + site + verify (optional)
#   DEMO_VIP         the VIP whose holder is the active director (default 192.0.2.10)
set -euo pipefail
cd "$(dirname "$0")/.."
export LVSLAB_NAME=${LVSLAB_NAME:-lab}
topology=${LVSLAB_TOPOLOGY:-lab/topologies/pair.yml}
inventory=${DEMO_INVENTORY:-playbooks/inventories/lab-mixed}
vip=${DEMO_VIP:-192.0.2.10}
lvslab=bin/lvslab
export PATH="$PWD/.venv/bin:$PATH"
# `make demo` exports the collection path (.tmp/collections, a copy of this checkout); keep it when run directly
if [ -z "${ANSIBLE_COLLECTIONS_PATH:-}" ]; then
  [ -d .tmp/collections/ansible_collections/lvs/cluster ] || bash tests/collection-tree.sh .tmp/collections/ansible_collections/lvs/cluster
  export ANSIBLE_COLLECTIONS_PATH=$PWD/.tmp/collections
fi
started=$(date +%s)

lab_up() {
  if $lvslab status >/dev/null 2>&1; then
    echo "lab $LVSLAB_NAME is already up; reusing it ($lvslab status)"
  elif ! $lvslab up "$topology"; then
    echo "lab up failed; the partial lab is torn down with: make lab-down (or $lvslab --name $LVSLAB_NAME down)" >&2
    exit 1
  fi
}

rollout() {
  local inv=(-i "$($lvslab inventory)" -i "$inventory")
  eval "$($lvslab env)"   # ANSIBLE_CONFIG: the lab's ansible.cfg (control paths under the lab)
  if [ -n "${DEMO_PLAYBOOK:-}" ]; then
    ansible-playbook "${inv[@]}" "$DEMO_PLAYBOOK"
    return
  fi
  echo "== lab web services on the real servers (playbooks/lab-backends.yml)"
  ansible-playbook "${inv[@]}" playbooks/lab-backends.yml
  echo "== rollout: real servers first, then the director pair (playbooks/site.yml)"
  ansible-playbook "${inv[@]}" playbooks/site.yml
  echo "== does it balance? (playbooks/verify.yml)"
  ansible-playbook "${inv[@]}" playbooks/verify.yml
  echo "== the cluster's state across the directors (playbooks/status.yml)"
  ansible-playbook "${inv[@]}" playbooks/status.yml
}

active_director() {
  local h
  for h in $(python3 -c 'import sys, yaml; print(" ".join(yaml.safe_load(open(sys.argv[1]))["all"]["children"]["lab_vms"]["hosts"]))' "$($lvslab inventory)"); do
    if [ -n "$($lvslab exec "$h" -- ip -o addr show to "$vip" 2>/dev/null)" ]; then echo "$h"; return; fi
  done
}

lab_up
rollout
active=$(active_director)
if [ -n "$active" ]; then
  echo "== ipvsadm -Ln on the active director ($active holds $vip)"
  $lvslab exec "$active" -- ipvsadm -Ln
else
  echo "== no director holds $vip" >&2
fi
$lvslab status
echo "demo wall time: $(( $(date +%s) - started )) s"
down_cmd="make lab-down"
[ "$LVSLAB_NAME" = lab ] || down_cmd="LVSLAB_NAME=$LVSLAB_NAME make lab-down"
cat <<EOT

The lab '$LVSLAB_NAME' stays up:
  log in:     bin/lvslab --name $LVSLAB_NAME ssh dir1        (any host: bin/lvslab ssh HOST)
  a command:  bin/lvslab --name $LVSLAB_NAME exec cl1 -- curl -s http://192.0.2.10/
  inventory:  $($lvslab inventory)
  tear down:  $down_cmd   (bin/lvslab --name $LVSLAB_NAME down)
EOT
