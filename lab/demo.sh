#!/usr/bin/env bash
# `make demo`: bring the lab up (pair topology by default), roll out, show the result.
#   LVSLAB_NAME      lab instance (default lab; `make lab-down` tears that one down)
#   LVSLAB_TOPOLOGY  topology file (default lab/topologies/pair.yml)
#   DEMO_PLAYBOOK    playbook to run against the lab (default lab/demo-placeholder.yml)
#   DEMO_INVENTORY   extra inventory combined with the lab's (optional, e.g. playbooks/inventories/lab)
set -euo pipefail
cd "$(dirname "$0")/.."
export LVSLAB_NAME=${LVSLAB_NAME:-lab}
topology=${LVSLAB_TOPOLOGY:-lab/topologies/pair.yml}
playbook=${DEMO_PLAYBOOK:-lab/demo-placeholder.yml}
lvslab=bin/lvslab
export PATH="$PWD/.venv/bin:$PATH"

lab_up() {
  if $lvslab status >/dev/null 2>&1; then
    echo "lab $LVSLAB_NAME is already up; reusing it ($lvslab status)"
  elif ! $lvslab up "$topology"; then
    echo "lab up failed; the partial lab is torn down with: make lab-down (or $lvslab --name $LVSLAB_NAME down)" >&2
    exit 1
  fi
}

rollout() {
  local inv=(-i "$($lvslab inventory)")
  [ -n "${DEMO_INVENTORY:-}" ] && inv+=(-i "$DEMO_INVENTORY")
  eval "$($lvslab env)"   # ANSIBLE_CONFIG: the lab's ansible.cfg (control paths under the lab)
  ansible-playbook "${inv[@]}" "$playbook"
}

lab_up
rollout
$lvslab status
cat <<EOT

The lab '$LVSLAB_NAME' stays up:
  log in:     bin/lvslab --name $LVSLAB_NAME ssh dir1        (any host: bin/lvslab ssh HOST)
  a command:  bin/lvslab --name $LVSLAB_NAME exec cl1 -- curl -s http://192.0.2.10/
  inventory:  $($lvslab inventory)
  tear down:  make lab-down   (bin/lvslab --name $LVSLAB_NAME down)
EOT
