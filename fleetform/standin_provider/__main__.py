"""``python -m fleetform.standin_provider``: serve the stand-in provider to Terraform."""

import sys

from fleetform.standin_provider.server import serve

if __name__ == "__main__":
    sys.exit(serve())
