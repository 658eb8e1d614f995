"""The description rule on the simulator: clones of a template that has a description of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.sandbox import TEMPLATES, Sandbox, changes

from fleetform.hypercore import HypercoreClient
from fleetform.simulator.testing import run_in_thread

pytestmark = pytest.mark.e2e

TEMPLATE_DESCRIPTION = "golden UEFI image, owned by the platform team"

APP = """\
type: Application
version: "1.0.0"
metadata:
  name: shop
spec:
  resources:
    - type: virdomain
      name: plain
      spec: {cpu: 1, memory: 1GiB, machine_type: uefi, state: shutoff}
    - type: virdomain
      name: own
      spec: {cpu: 1, memory: 1GiB, machine_type: uefi, state: shutoff, description: web server}
    - type: virdomain
      name: blank
      spec: {cpu: 1, memory: 1GiB, machine_type: uefi, state: shutoff, description: ""}
"""


def test_clones_of_a_described_template_get_fleetform_s_description_and_plan_clean(
    tmp_path: Path, cli_config: Path
) -> None:
    with run_in_thread(templates=TEMPLATES, data_dir=tmp_path / "simulator") as sim:
        box = Sandbox(tmp_path / "project", sim, cli_config)
        template = box.vms()[TEMPLATES["uefi"]]
        with HypercoreClient(sim.url, sim.username, sim.password) as api:
            api.wait_task(
                api.patch(f"/rest/v1/VirDomain/{template['uuid']}", {"description": TEMPLATE_DESCRIPTION}),
                poll_interval=0.01,
            )
        box.write_manifest("shop", APP)
        result = box.synth()
        (warning,) = [w for w in result.warnings if "description" in w.message]
        assert "VM 'blank' has an empty description" in warning.message

        box.apply("shop")
        vms = box.vms()
        assert vms["plain"]["description"] == "shop/plain (managed by fleetform)"
        assert vms["own"]["description"] == "web server"
        # What the warning says: the provider leaves an empty description out, so the clone keeps the
        # template's, and the next plan changes it (only that).
        assert vms["blank"]["description"] == TEMPLATE_DESCRIPTION
        assert changes(box.plan_json("shop")) == {"hypercore_vm.blank": ["update"]}

        box.apply("shop")
        assert box.vms()["blank"]["description"] == ""
        assert box.plan_exit("shop") == 0
        assert box.vms()[TEMPLATES["uefi"]]["description"] == TEMPLATE_DESCRIPTION
