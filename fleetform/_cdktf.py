"""The one seam to the CDK library: cdktf 0.21.0 by default, or its maintained fork CDK Terrain (``cdktn``).

cdktf is archived upstream; CDK Terrain ships the same API as ``cdktn``. Every other module (the generated
bindings included) imports the CDK names from here. Which library is loaded: :mod:`fleetform._cdk_choice`
(``FLEETFORM_CDK=cdktn``, or cdktn installed without cdktf); ``tests/cdktn`` synthesizes the seed manifests
with both and compares the JSON.
"""

from __future__ import annotations

import importlib
import os

# jsii prints a banner on every start when Node 20 runs it; it says nothing actionable for our users.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from fleetform._cdk_choice import library, library_version

LIBRARY_NAME = library()
LIBRARY_VERSION = library_version()
cdk = importlib.import_module(LIBRARY_NAME)

App = cdk.App
Fn = cdk.Fn
LocalBackend = cdk.LocalBackend
PgBackend = cdk.PgBackend
TerraformDataSource = cdk.TerraformDataSource
TerraformElement = cdk.TerraformElement
TerraformOutput = cdk.TerraformOutput
TerraformProvider = cdk.TerraformProvider
TerraformProviderGeneratorMetadata = cdk.TerraformProviderGeneratorMetadata
TerraformResource = cdk.TerraformResource
TerraformResourceLifecycle = cdk.TerraformResourceLifecycle
TerraformStack = cdk.TerraformStack
TerraformVariable = cdk.TerraformVariable
Testing = cdk.Testing
Token = cdk.Token
ITerraformDependable = cdk.ITerraformDependable

__all__ = [
    "LIBRARY_NAME",
    "LIBRARY_VERSION",
    "App",
    "Fn",
    "ITerraformDependable",
    "LocalBackend",
    "PgBackend",
    "TerraformDataSource",
    "TerraformElement",
    "TerraformOutput",
    "TerraformProvider",
    "TerraformProviderGeneratorMetadata",
    "TerraformResource",
    "TerraformResourceLifecycle",
    "TerraformStack",
    "TerraformVariable",
    "Testing",
    "Token",
]
