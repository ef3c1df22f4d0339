"""A model whose values are themselves templates (``address: "{{ vip }}"``, a whole real-server
list from another variable) is templated before it is validated, through both action plugins
that take it (service_model; ipvs_table in check mode goes as far as its model on the controller)
and through the filters: found when a nested ``bind_if: "{{ ... }}"`` reached the validator as
its Jinja text."""
import json

PLAY = """
- name: Nested templates in the model
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    vip: 192.0.2.10
    web_port: "80"
    pool: [{address: 192.0.2.11}, {address: "{{ '192.0.2.' ~ (6 * 2) }}", weight: "{{ 1 + 1 }}"}]
    lvs_virtual_services:
      - name: "{{ 'w' ~ 'eb' }}"
        address: "{{ vip }}"
        port: "{{ web_port | int }}"
        check: {type: http, path: "{{ '/health' }}", status: "{{ [200, '300-302'] }}"}
        real_servers: "{{ pool }}"
  tasks:
    - name: The model through the service_model action
      lvs.cluster.service_model:
        services: "{{ lvs_virtual_services }}"
      register: model
    - name: The model through the filters
      ansible.builtin.set_fact:
        filtered: "{{ lvs_virtual_services | lvs.cluster.lvs_services }}"
    - name: Write both
      ansible.builtin.copy:
        content: "{{ {'action': model.services, 'filters': filtered} | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


def test_templates_inside_the_model_are_resolved(ansible_playbook, tmp_path):
    play = tmp_path / "nested.yml"
    play.write_text(PLAY)
    out = tmp_path / "result.json"
    ansible_playbook(play, ["localhost,"], extra_vars={"out": str(out)})
    result = json.loads(out.read_text())
    for way in ("action", "filters"):
        (web,) = result[way]
        assert (web["name"], web["address"], web["port"]) == ("web", "192.0.2.10", 80), way
        assert [(r["address"], r["weight"]) for r in web["real_servers"]] == [("192.0.2.11", 1), ("192.0.2.12", 2)], way
        assert web["check"][0]["urls"][0]["path"] == "/health" and web["check"][0]["urls"][0]["status"] == [200, "300-302"], way
