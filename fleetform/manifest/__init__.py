"""Fleet Manager Application manifests: the model, sizes, loading with file:line:col errors, strict checks."""

from fleetform.manifest.loader import LoadedManifest, load_manifest, load_manifests, parse_manifest
from fleetform.manifest.model import Application

__all__ = ["Application", "LoadedManifest", "load_manifest", "load_manifests", "parse_manifest"]
