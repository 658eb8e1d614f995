"""fleetform: Fleet Manager manifests to HyperCore Terraform through cdktf."""

import os as _os

__version__ = "0.1.0"

# jsii prints a banner about Node 20 whenever its kernel starts (on the first import of cdktf or of the
# constructs library, whichever comes first); it says nothing actionable to our users.
_os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
_os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
