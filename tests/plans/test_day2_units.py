"""The pure parts of day-2 safety: origins and orphans, redaction, power replaces, true drift, failures in words,
credentials before Terraform."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fleetform.errors import ApiAuthError, ApiConfigError, ApiConnectionError
from fleetform.site.config import parse_config
from fleetform.synth.origins import ORIGIN_OUTPUT, find_orphans, in_scope, origin_of, whole_set
from fleetform.terraform.connect import terraform_environment
from fleetform.terraform.drift import true_drift
from fleetform.terraform.outofband import backup_state, state_resources
from fleetform.terraform.plans.failures import Context, explain, explain_api
from fleetform.terraform.plans.power import in_place_power_updates
from fleetform.terraform.plans.redact import REDACTED, redact_plan


def state(origin: str | None, resources: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"version": 4, "resources": [], "outputs": {}}
    if resources:
        data["resources"] = [
            {
                "mode": "managed",
                "type": "hypercore_vm",
                "name": "web",
                "instances": [{"attributes": {"id": "vm-1", "name": "web"}}],
            }
        ]
    if origin is not None:
        data["outputs"] = {ORIGIN_OUTPUT: {"value": origin, "type": "string"}}
    return data


def test_origins_are_project_relative_and_scoped_by_directories(tmp_path: Path) -> None:
    (tmp_path / "manifests" / "apps").mkdir(parents=True)
    assert origin_of(tmp_path / "manifests" / "a.yaml", tmp_path) == "manifests/a.yaml"
    assert origin_of("manifests/a.yaml", tmp_path) == "manifests/a.yaml"
    assert origin_of("/elsewhere/a.yaml", tmp_path) == "/elsewhere/a.yaml"
    assert in_scope("manifests/a.yaml", [Path("manifests")], tmp_path)
    assert not in_scope(
        "manifests/apps/a.yaml", [Path("manifests")], tmp_path
    )  # directories are not recursed
    assert in_scope("manifests/a.yaml", [tmp_path / "manifests" / "a.yaml"], tmp_path)
    assert not in_scope("other/ci.yaml", [Path("manifests")], tmp_path)
    assert not in_scope("manifests-old/a.yaml", [Path("manifests")], tmp_path)
    assert whole_set([tmp_path / "manifests"])
    assert not whole_set([tmp_path / "manifests" / "a.yaml"]) and not whole_set([])


def test_only_stacks_whose_recorded_manifest_left_the_runs_directories_are_orphans(tmp_path: Path) -> None:
    states = tmp_path / "state"
    states.mkdir()
    for name, data in {
        "alpha": state("manifests/alpha.yaml"),  # synthesized in this run
        "beta": state("manifests/beta.yaml"),  # its manifest was deleted
        "probe": state("other/ci.yaml"),  # deployed from elsewhere
        "legacy": state(None),  # before origins were recorded
        "empty": state("manifests/empty.yaml", resources=False),  # destroyed already
    }.items():
        (states / f"{name}.tfstate").write_text(json.dumps(data))
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "g.yaml").write_text("type: Application\nmetadata:\n  name: gamma\n")
    (states / "gamma.tfstate").write_text(json.dumps(state("manifests/gamma.yaml")))  # moved to archive/
    found = find_orphans(states, ["alpha"], [Path("manifests")], tmp_path)
    assert found.orphans == {"beta": "manifests/beta.yaml"}
    assert found.moved == {"gamma": "archive/g.yaml"}
    assert found.elsewhere == {"probe": "other/ci.yaml"} and found.unknown == ["legacy"]
    notes = "\n".join(found.notes())
    assert "probe (from other/ci.yaml)" in notes and "fleetform destroy --stacks legacy" in notes
    assert "gamma: its manifest moved to archive/g.yaml, which this run does not read" in notes


def test_redaction_masks_every_sensitive_value_and_keeps_the_marks() -> None:
    plan = {
        "variables": {"hc_password_lab": {"value": "hunter2"}, "region": {"value": "eu"}},
        "configuration": {
            "root_module": {"variables": {"hc_password_lab": {"sensitive": True}, "region": {}}}
        },
        "planned_values": {
            "outputs": {"token": {"sensitive": True, "value": "tok-1"}},
            "root_module": {
                "resources": [
                    {
                        "address": "hypercore_vm.web",
                        "values": {"name": "web", "clone": [{"user_data": "pw=hunter2", "meta_data": "m"}]},
                        "sensitive_values": {"clone": [{"user_data": True}]},
                    }
                ]
            },
        },
        "prior_state": {
            "values": {
                "root_module": {
                    "resources": [{"values": {"secret": "hunter2"}, "sensitive_values": {"secret": True}}]
                }
            }
        },
        "resource_changes": [
            {
                "address": "hypercore_vm.web",
                "change": {
                    "before": {"user_data": "old-hunter2", "name": "web"},
                    "after": {"user_data": "hunter2", "name": "web"},
                    "before_sensitive": {"user_data": True},
                    "after_sensitive": {"user_data": True},
                },
            }
        ],
        "output_changes": {"token": {"before": None, "after": "tok-1", "after_sensitive": True}},
    }
    redacted = redact_plan(plan)
    text = json.dumps(redacted)
    assert "hunter2" not in text and "tok-1" not in text
    assert redacted["variables"]["region"]["value"] == "eu"
    resource = redacted["planned_values"]["root_module"]["resources"][0]
    assert resource["values"]["clone"][0] == {"user_data": REDACTED, "meta_data": "m"}
    assert resource["sensitive_values"] == {"clone": [{"user_data": True}]}
    assert redacted["resource_changes"][0]["change"]["after"] == {"user_data": REDACTED, "name": "web"}
    assert redacted["output_changes"]["token"]["before"] is None
    assert "hunter2" in json.dumps(plan)  # the input is left alone


def test_only_in_place_power_state_updates_are_replaced() -> None:
    plan = {
        "resource_changes": [
            {"address": "hypercore_vm_power_state.web", "type": "hypercore_vm_power_state", "mode": "managed",
             "change": {"actions": ["update"]}},
            {"address": "hypercore_vm_power_state.db", "type": "hypercore_vm_power_state", "mode": "managed",
             "change": {"actions": ["create"]}},
            {"address": "hypercore_vm.web", "type": "hypercore_vm", "mode": "managed",
             "change": {"actions": ["update"]}},
        ]
    }  # fmt: skip
    assert in_place_power_updates(plan) == ["hypercore_vm_power_state.web"]


def test_true_drift_keeps_only_configured_attributes() -> None:
    configuration = {
        "root_module": {
            "resources": [
                {"address": "hypercore_vm_power_state.web", "mode": "managed",
                 "expressions": {"state": {}, "vm_uuid": {}}},
                {"address": "hypercore_vm.web", "mode": "managed", "expressions": {"memory": {}, "vcpu": {}}},
            ]
        }
    }  # fmt: skip

    def drift(address: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        return {"address": address, "change": {"actions": ["update"], "before": before, "after": after}}

    after_a_deploy = drift(
        "hypercore_vm_power_state.web",
        {"state": "RUNNING", "vm": {"vcpu": 4}},
        {"state": "RUNNING", "vm": {"vcpu": 6}},
    )
    stopped = drift(
        "hypercore_vm_power_state.web",
        {"state": "RUNNING", "vm": {"vcpu": 4}},
        {"state": "SHUTOFF", "vm": {"vcpu": 6}},
    )
    memory = drift("hypercore_vm.web", {"memory": 2048, "id": "a"}, {"memory": 4096, "id": "b"})
    assert true_drift([after_a_deploy], configuration) == []
    (kept,) = true_drift([stopped], configuration)
    assert kept["change"]["after"] == {"state": "SHUTOFF", "vm": {"vcpu": 4}}
    (kept,) = true_drift([memory], configuration)
    assert kept["change"]["after"] == {"memory": 4096, "id": "a"}


def test_state_resources_and_the_backup(tmp_path: Path) -> None:
    assert state_resources(state("m.yaml")) == [
        {"address": "hypercore_vm.web", "type": "hypercore_vm", "values": {"id": "vm-1", "name": "web"}}
    ]
    path = backup_state('{"version": 4}', tmp_path / "backups", "shop")
    assert path.read_text() == '{"version": 4}' and path.name.startswith("shop-")
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    ("output", "words"),
    [
        # the real provider v1.4.0 (rest_client.go), then the stand-in / fleetform's HTTP layer
        ("Error: Unexpected error\n\nauthentication failed with HTTP status code: 401, body: {}", "refused the user"),
        ("couldn't authenticate: POST /rest/v1/login on http://h failed (HTTP 401): nope", "refused the user"),
        ("couldn't authenticate: Post \"https://10.0.0.1/rest/v1/login\": dial tcp: connect: connection refused",
         "cannot reach cluster"),
        ("error making a request: Get \"https://h/rest/v1/VirDomain\": EOF", "cannot reach cluster"),
        ("Error: VM not found\n\n  with data.hypercore_vms.template-uefi,\n\nhypercore_vms \"t\": No VM with "
         "name\nfleetform-template-uefi found.", "the template VM 'fleetform-template-uefi' for machine type uefi"),
        ("Error: Error acquiring the state lock\n\nLock Info:\n  ID: 1\n  Who: root@host\n  Created: today\n",
         "holds the state lock"),
        ("unexpected response: 500 - {\"error\": \"busy\"}", "HTTP 500"),
        ("Error: Missing Host URI Configuration\n\nWhile configuring the provider, the host URI was not found",
         "set HC_HOST, HC_USERNAME and HC_PASSWORD"),
        ("Error: Backend configuration changed\n\n... run terraform init -migrate-state", "never moves state"),
        ("error making a request: GET /rest/v1/VirDomainBlockDevice/x on http://h failed (HTTP 404): gone",
         "is gone from cluster 'default'"),
    ],
)  # fmt: skip
def test_failures_are_explained_by_kind(output: str, words: str) -> None:
    text = explain(output, Context("shop", "default", "https://10.0.0.1", "apply"))
    assert text is not None and words in text
    assert "-migrate-state" not in text
    assert "terraform said:" in text or "Lock Info" not in output


def test_an_unknown_failure_keeps_terraforms_words_and_api_failures_say_nothing_changed() -> None:
    assert explain("Error: Something odd\n\nvery odd", Context("shop")) is None
    context = Context("shop", "store-1", None, "plan")
    auth = explain_api(ApiAuthError("https://h", "POST", "/rest/v1/login", "no", 401), context, "checking")
    assert "TF_VAR_hc_username_store_1" in auth and "Nothing was changed" in auth
    down = explain_api(ApiConnectionError("https://h", "GET", "/rest/v1/VirDomain", "refused"), context, "x")
    assert down.startswith("cannot reach cluster 'store-1' (https://h)")


def test_credentials_are_checked_before_terraform_and_cluster_variables_filled() -> None:
    site = parse_config(
        "networks: {lan: 1}\ntemplates: {uefi: t}\nclusters:\n"
        "  - {name: store-1, host: 'https://10.0.0.1', selector: ['a:b']}\n",
        "fleetform.yaml",
    )
    targets = site.targets()
    env = terraform_environment(targets, {"HC_USERNAME_STORE_1": "u", "HC_PASSWORD": "p"})
    assert env["TF_VAR_hc_username_store_1"] == "u" and env["TF_VAR_hc_password_store_1"] == "p"
    with pytest.raises(ApiConfigError) as missing:
        terraform_environment(targets, {})
    assert "TF_VAR_hc_username_store_1" in str(missing.value) and "TF_VAR_hc_password_store_1" in str(
        missing.value
    )
    plain = parse_config("networks: {lan: 1}\ntemplates: {uefi: t}\n", "fleetform.yaml")
    with pytest.raises(ApiConfigError) as unset:
        terraform_environment(plain.targets(), {"HC_USERNAME": "u"})
    assert "HC_HOST, HC_PASSWORD are not set" in str(unset.value) and "--simulator" in str(unset.value)
