"""A cdktf app built from fleetform's constructs directly: no manifests, no fleetform.yaml.

One stack, ``library-app``, with the HyperCore provider, an ``Application`` of two VMs sharing one image, an ISO
as a standalone ``DiskImage``, and a standalone ``VirtualMachine`` cloned from a template found by name.

    cdktf synth          # runs `python3 main.py` (cdktf.json): cdktf.out/stacks/library-app/cdk.tf.json
    python3 main.py      # the same without the cdktf CLI (CDKTF_OUTDIR chooses the output directory)
"""

from cdktf import App, TerraformOutput, TerraformStack
from constructs import Construct

from fleetform.constructs import (
    Application,
    ApplicationProps,
    CloudInit,
    DiskImage,
    DiskImageProps,
    DiskProps,
    NicProps,
    VirtualMachine,
    VirtualMachineProps,
)
from fleetform.providers.hypercore.data_hypercore_vms import DataHypercoreVms
from fleetform.providers.hypercore.provider import HypercoreProvider
from fleetform.providers.hypercore.vm_snapshot_schedule import VmSnapshotSchedule, VmSnapshotScheduleRules

GiB = 1024**3
UBUNTU = "https://cloud-images.ubuntu.com/releases/22.04/release/ubuntu-22.04-server-cloudimg-amd64.img"
# The UUID of a template VM on the cluster (HyperCore's UI shows it, `fleetform import` records it).
DB_TEMPLATE_UUID = "7b3f7c1e-5d2a-4a8e-9c1b-2f6e8d4a9b10"

WEB_CLOUD_INIT = """\
#cloud-config
package_update: true
packages:
  - nginx
"""


class LibraryStack(TerraformStack):
    """The provider first, then the constructs; host and credentials come from HC_HOST, HC_USERNAME and
    HC_PASSWORD, never from code."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        HypercoreProvider(self, "hypercore")

        # An application: its image is uploaded once and copied into both VMs' boot disks.
        shop = Application(
            self,
            "shop",
            props=ApplicationProps(
                name="shop",
                images=[DiskImageProps(name="ubuntu", source_url=UBUNTU, format="qcow2")],
                # machine type -> the name of a template VM on the cluster, looked up by name.
                templates={"uefi": "fleetform-template-uefi"},
                vms=[
                    VirtualMachineProps(
                        name="shop-web",
                        cpu=2,
                        memory_bytes=4 * GiB,
                        description="Web server",
                        tags=["shop", "web"],
                        disks=[DiskProps(name="os", image="ubuntu", capacity_bytes=20 * GiB, boot=1)],
                        nics=[NicProps(network="web-net", vlan=20)],
                        cloud_init=CloudInit(user_data=WEB_CLOUD_INIT),
                        start_after=["shop-db"],  # powers on once the database runs
                    ),
                    VirtualMachineProps(
                        name="shop-db",
                        cpu=4,
                        memory_bytes=8 * GiB,
                        description="Database server",
                        tags=["shop", "db"],
                        template=DB_TEMPLATE_UUID,  # an explicit template: no look-up by name
                        disks=[
                            DiskProps(name="os", image="ubuntu", capacity_bytes=20 * GiB, boot=1),
                            # No boot index: a data disk, with prevent_destroy (protect_data defaults to True).
                            DiskProps(name="data", capacity_bytes=40 * GiB),
                        ],
                        nics=[NicProps(network="db-net", vlan=40)],
                    ),
                ],
            ),
        )

        # A standalone image and VM: the VM is cloned from a template found by name, with the ISO in its
        # CD-ROM drive, and is left powered off.
        tools = DiskImage(
            self,
            "tools-iso",
            props=DiskImageProps(
                name="tools-iso", source_url="https://example.com/isos/admin-tools.iso", format="iso"
            ),
        )
        golden = DataHypercoreVms(self, "golden", name="golden-bios")
        jumphost = VirtualMachine(
            self,
            "jumphost",
            props=VirtualMachineProps(
                name="jumphost",
                cpu=1,
                memory_bytes=2 * GiB,
                machine_type="bios",
                template=golden.vms.get(0).uuid,
                disks=[
                    DiskProps(name="os", capacity_bytes=10 * GiB, boot=1),
                    DiskProps(name="tools", type="ide_cdrom", image="tools-iso"),
                ],
                nics=[NicProps(network="mgmt", vlan=0)],
                power_state="shutoff",
            ),
            images={"tools-iso": tools},
        )

        # The escape hatches: `resource`, `disks`, `nics`, `boot_order` and `power_state` are the provider resources
        # themselves (typed bindings), for what the props do not model. Tags set by operators in HyperCore's UI are
        # left alone on the web server:
        shop.vms["shop-web"].resource.add_override("lifecycle.ignore_changes", ["tags"])
        nightly = VmSnapshotSchedule(
            self,
            "nightly",
            name="nightly",
            rules=[
                VmSnapshotScheduleRules(
                    name="nightly",
                    frequency="FREQ=DAILY;INTERVAL=1",
                    start_timestamp="2026-01-01 02:00:00",
                    local_retention_seconds=7 * 24 * 3600,
                )
            ],
        )
        shop.vms["shop-db"].resource.add_override("snapshot_schedule_uuid", nightly.id)

        TerraformOutput(self, "shop_web_uuid", value=shop.vms["shop-web"].uuid)
        TerraformOutput(self, "jumphost_uuid", value=jumphost.uuid)


app = App()
LibraryStack(app, "library-app")
app.synth()
