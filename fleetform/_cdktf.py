"""The one seam to the CDK library.

cdktf is archived upstream; its community fork CDK Terrain ships the same API as ``cdktn``.
Every other module imports the CDK names from here, so moving to the fork is the one-line change
of the import below.
"""

from __future__ import annotations

import os

# jsii prints a banner on every start when Node 20 runs it; it says nothing actionable for our users.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

import cdktf as cdk

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

LIBRARY_NAME = "cdktf"
LIBRARY_VERSION = "0.21.0"

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
