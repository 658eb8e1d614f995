"""Plan review for pull requests: saved Terraform plans -> a readable, safe, size-aware review.

Pure: parsing, classification and rendering only; no subprocess or network I/O (reading the plan directory
is the only file access). ``fleetform plan`` (:mod:`fleetform.terraform.plans`) writes the plan directory; this package
reads it.

- :mod:`fleetform.review.plan`: ``terraform show -json`` -> typed resource changes;
- :mod:`fleetform.review.hypercore`: what each change does on HyperCore; the data-disk rule and the disk
  losses that ``fleetform plan``'s guard refuses;
- :mod:`fleetform.review.values`: human units, names for ids, redaction of sensitive values and cloud-init;
- :mod:`fleetform.review.bundle`: the plan directory format (``DIR/manifest.json`` and one directory per stack);
- :mod:`fleetform.review.model`: the review (counts, dangers, attention, per-VM changes);
- :mod:`fleetform.review.markdown` and :mod:`fleetform.review.report`: one PR comment within a size limit, and
  JSON for bots.
"""

from fleetform.review.bundle import Bundle, BundleError, PlanIndex, StackEntry, load_bundle
from fleetform.review.hypercore import DiskLoss, disk_losses, is_data_disk
from fleetform.review.markdown import DEFAULT_MAX_CHARS, MARKER, render_markdown
from fleetform.review.model import Review, build_review
from fleetform.review.plan import Plan, PlanFormatError, ResourceChange, parse_plan
from fleetform.review.report import exit_code, render_json, review_data

__all__ = [
    "DEFAULT_MAX_CHARS",
    "MARKER",
    "Bundle",
    "BundleError",
    "DiskLoss",
    "Plan",
    "PlanFormatError",
    "PlanIndex",
    "ResourceChange",
    "Review",
    "StackEntry",
    "build_review",
    "disk_losses",
    "exit_code",
    "is_data_disk",
    "load_bundle",
    "parse_plan",
    "render_json",
    "render_markdown",
    "review_data",
]
