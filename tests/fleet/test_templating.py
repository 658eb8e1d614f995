"""Templating and replicas: Jinja2 in a sandbox, strict variables, errors at the manifest's own lines."""

from __future__ import annotations

from typing import Any

import pytest

from fleetform.errors import InputError, Issue
from fleetform.manifest.loader import LoadedManifest, parse_manifest

APP = """\
type: Application
version: "1.0.0"
metadata:
  name: "shop-{{ clusterName }}"
spec:
  resources:
    - type: virdomain
      name: "app-{{ instance_id }}"
      x-fleetform:
        replicas: REPLICAS
      spec:
        description: "app {{ instance_index }} of {{ site }}"
        cpu: CPU
        memory: 1GiB
        machine_type: uefi
        state: running
        tags: ["tier:{{ tier_name }}"]
    - type: virdomain
      name: db
      spec:
        cpu: 2
        memory: 2GiB
        machine_type: uefi
        state: running
"""


def render(replicas: str = "3", cpu: str = "2", **variables: Any) -> LoadedManifest:
    text = APP.replace("REPLICAS", replicas).replace("CPU", cpu)
    return parse_manifest(text, "shop.yaml", {"site": "store-7", "tier_name": "app", **variables})


def errors(replicas: str = "3", cpu: str = "2", **variables: Any) -> list[Issue]:
    with pytest.raises(InputError) as caught:
        render(replicas, cpu, **variables)
    return [i for i in caught.value.issues if i.is_error]


def test_replicas_expand_into_numbered_vms() -> None:
    lm = render()
    names = [vm.name for vm in lm.application.spec.resources]
    assert names == ["app-01", "app-02", "app-03", "db"]
    assert lm.application.spec.resources[1].spec.description == "app 2 of store-7"
    assert lm.application.spec.resources[0].spec.tags == ["tier:app"]


def test_builtin_cluster_variables_render_in_names() -> None:
    lm = render(clusterName="edge-9")
    assert lm.name == "shop-edge-9"


def test_replica_nodes_keep_the_line_of_the_vm_they_copy() -> None:
    lm = render()
    assert lm.locate_vm("app-03").line == 8
    assert lm.locate_field("app-02", "cpu").line == 13
    assert lm.locate_vm("db").line == 19


def test_lone_expression_keeps_its_type() -> None:
    lm = render(cpu='"{{ cpus }}"', cpus=4)
    assert lm.application.spec.resources[0].spec.cpu == 4


def test_replicas_may_come_from_a_variable() -> None:
    lm = render(replicas='"{{ app_replicas }}"', app_replicas=5)
    assert len(lm.application.spec.resources) == 6


def test_undefined_variable_is_an_error_at_its_line_with_did_you_mean() -> None:
    [issue] = errors_without("tier_name", tier_nme="x")
    assert (issue.location.line, issue.location.col) == (17, 16)
    assert issue.message == "undefined template variable 'tier_name'; did you mean 'tier_nme'?"
    assert "variables:" in issue.hint


def errors_without(name: str, **extra: Any) -> list[Issue]:
    text = APP.replace("REPLICAS", "1").replace("CPU", "2")
    variables = {"site": "store-7", "tier_name": "app", **extra}
    variables.pop(name)
    with pytest.raises(InputError) as caught:
        parse_manifest(text, "shop.yaml", variables)
    return [i for i in caught.value.issues if i.is_error]


def test_instance_id_outside_a_vm_is_an_error() -> None:
    text = APP.replace("REPLICAS", "1").replace("CPU", "2").replace("{{ clusterName }}", "{{ instance_id }}")
    with pytest.raises(InputError) as caught:
        parse_manifest(text, "shop.yaml", {"site": "x", "tier_name": "y"})
    [issue] = caught.value.issues
    assert issue.location.line == 4
    assert "'instance_id' is only defined inside a VM" in issue.message


def test_template_syntax_error_points_at_the_line() -> None:
    text = APP.replace("REPLICAS", "1").replace("CPU", "2").replace("{{ site }}", "{{ site ")
    with pytest.raises(InputError) as caught:
        parse_manifest(text, "shop.yaml", {"site": "x", "tier_name": "y"})
    [issue] = caught.value.issues
    assert issue.location.line == 12 and "template syntax error" in issue.message


def test_sandbox_refuses_unsafe_attribute_access() -> None:
    text = (
        APP.replace("REPLICAS", "1").replace("CPU", "2").replace("{{ site }}", "{{ site.__class__.__mro__ }}")
    )
    with pytest.raises(InputError) as caught:
        parse_manifest(text, "shop.yaml", {"site": "x", "tier_name": "y"})
    [issue] = caught.value.issues
    assert issue.location.line == 12 and "template" in issue.message


def test_replicas_without_instance_id_in_the_name_is_an_error() -> None:
    text = APP.replace("REPLICAS", "2").replace("CPU", "2").replace('"app-{{ instance_id }}"', "app")
    with pytest.raises(InputError) as caught:
        parse_manifest(text, "shop.yaml", {"site": "x", "tier_name": "y"})
    [issue] = caught.value.issues
    assert issue.location.line == 8 and "does not use {{ instance_id }}" in issue.message


def test_name_collision_after_rendering_is_an_error_at_both_lines() -> None:
    text = (
        APP.replace("REPLICAS", "1").replace("CPU", "2").replace("name: db", 'name: "app-{{ instance_id }}"')
    )
    with pytest.raises(InputError) as caught:
        parse_manifest(text, "shop.yaml", {"site": "x", "tier_name": "y"})
    [issue] = caught.value.issues
    assert issue.location.line == 19
    assert "duplicate VM name 'app-01' (first at line 8)" in issue.message


def test_bad_replicas_value_is_an_error() -> None:
    [issue] = errors(replicas="0")
    assert issue.location.line == 10 and "replicas must be a whole number from 1 to 999" in issue.message


def test_cloud_init_jinja_template_is_left_for_cloud_init() -> None:
    cloud_init = (
        "        cloud_init_data:\n"
        "          user_data: |\n"
        "            ## template: jinja\n"
        "            #cloud-config\n"
        "            hostname: {{ v1.local_hostname }}\n"
    )
    text = (
        APP.replace("REPLICAS", "1")
        .replace("CPU", "2")
        .replace(
            "    - type: virdomain\n      name: db", cloud_init + "    - type: virdomain\n      name: db"
        )
    )
    lm = parse_manifest(text, "shop.yaml", {"site": "x", "tier_name": "y"})
    init = lm.application.spec.resources[0].spec.cloud_init_data
    assert init is not None and init.user_data is not None
    assert "{{ v1.local_hostname }}" in init.user_data
