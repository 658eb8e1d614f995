"""fleetform: Fleet Manager manifests to HyperCore Terraform through cdktf."""

__version__ = "0.1.0"
