"""The plugin-protocol (tfplugin6) server: Terraform's RPCs mapped onto the stand-in's resources.

PyPI ``tf`` provides the generated protocol stubs, the msgpack value codec and the go-plugin TLS certificate;
its own servicer is not used because it cannot serve nested attributes and does not plan the way the real
provider's framework does (see ``planning``). Every RPC answers with diagnostics; no exception leaves it.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from concurrent import futures
from typing import Any, TypeVar

import msgpack  # type: ignore[import-untyped]
from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc as rpc
from tf.types import Unknown
from tf.utils import read_dynamic_value

from fleetform.standin_provider.base import DataSource, Resource
from fleetform.standin_provider.diagnostics import Call, Failure, crash
from fleetform.standin_provider.planning import plan_change
from fleetform.standin_provider.provider import StandinProvider, data_source_class, resource_class
from fleetform.standin_provider.schema import Block, normalize

# go-plugin's handshake for Terraform providers (hashicorp/terraform-plugin-go tf6server).
MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"

_Response = TypeVar("_Response")


def _encode(value: Any) -> pb.DynamicValue:
    def unknown(obj: Any) -> Any:
        if obj is Unknown:
            return msgpack.ExtType(0, b"\x00")
        raise TypeError(f"cannot encode {obj!r}")

    return pb.DynamicValue(msgpack=msgpack.packb(value, default=unknown))


def _decode(block: Block, value: pb.DynamicValue) -> Any:
    return normalize(block, read_dynamic_value(value))


def _guarded(response: Callable[..., _Response]) -> Callable[..., Callable[..., _Response]]:
    """Run an RPC handler with a :class:`Call`; a failure or a bug becomes an error diagnostic."""

    def wrap(handler: Callable[..., _Response]) -> Callable[..., _Response]:
        @functools.wraps(handler)
        def run(self: ProviderServicer, request: Any, context: Any) -> _Response:
            call = Call()
            try:
                return handler(self, request, call)
            except Failure as failure:
                return response(diagnostics=call.diagnostics(failure))
            except Exception as exc:  # the plugin boundary: a bug of the stand-in reads like a Go panic
                return response(diagnostics=call.diagnostics(crash(f"{type(exc).__name__}: {exc}")))

        return run

    return wrap


class ProviderServicer(rpc.ProviderServicer):
    """Terraform's provider RPCs for the stand-in."""

    def __init__(self, provider: StandinProvider):
        self.provider = provider
        self.schema = provider.schema

    # --- provider ---------------------------------------------------------------------------------

    @_guarded(pb.GetMetadata.Response)
    def GetMetadata(self, request: pb.GetMetadata.Request, call: Call) -> pb.GetMetadata.Response:
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(plan_destroy=True, get_provider_schema_optional=True),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=name) for name in self.schema.resources],
            data_sources=[
                pb.GetMetadata.DataSourceMetadata(type_name=name) for name in self.schema.data_sources
            ],
        )

    @_guarded(pb.GetProviderSchema.Response)
    def GetProviderSchema(
        self, request: pb.GetProviderSchema.Request, call: Call
    ) -> pb.GetProviderSchema.Response:
        return pb.GetProviderSchema.Response(
            provider=self.schema.provider.to_pb(),
            provider_meta=pb.Schema(version=0, block=pb.Schema.Block()),
            resource_schemas={name: s.to_pb() for name, s in self.schema.resources.items()},
            data_source_schemas={name: s.to_pb() for name, s in self.schema.data_sources.items()},
            server_capabilities=pb.ServerCapabilities(plan_destroy=True, get_provider_schema_optional=True),
        )

    @_guarded(pb.ValidateProviderConfig.Response)
    def ValidateProviderConfig(
        self, request: pb.ValidateProviderConfig.Request, call: Call
    ) -> pb.ValidateProviderConfig.Response:
        return pb.ValidateProviderConfig.Response()

    @_guarded(pb.ConfigureProvider.Response)
    def ConfigureProvider(
        self, request: pb.ConfigureProvider.Request, call: Call
    ) -> pb.ConfigureProvider.Response:
        config = _decode(self.schema.provider.block, request.config) or {}
        failures = self.provider.configure(config)
        return pb.ConfigureProvider.Response(diagnostics=[call.error(failure) for failure in failures])

    @_guarded(pb.StopProvider.Response)
    def StopProvider(self, request: pb.StopProvider.Request, call: Call) -> pb.StopProvider.Response:
        return pb.StopProvider.Response()

    @_guarded(pb.GetFunctions.Response)
    def GetFunctions(self, request: pb.GetFunctions.Request, call: Call) -> pb.GetFunctions.Response:
        return pb.GetFunctions.Response()

    # --- resources --------------------------------------------------------------------------------

    @_guarded(pb.ValidateResourceConfig.Response)
    def ValidateResourceConfig(
        self, request: pb.ValidateResourceConfig.Request, call: Call
    ) -> pb.ValidateResourceConfig.Response:
        kind = resource_class(request.type_name)
        config = _decode(self._block(request.type_name), request.config) or {}
        _check_integers(kind.integers, config)
        return pb.ValidateResourceConfig.Response(diagnostics=call.diagnostics())

    @_guarded(pb.UpgradeResourceState.Response)
    def UpgradeResourceState(
        self, request: pb.UpgradeResourceState.Request, call: Call
    ) -> pb.UpgradeResourceState.Response:
        block = self._block(request.type_name)
        state = normalize(block, json.loads(request.raw_state.json)) if request.raw_state.json else None
        return pb.UpgradeResourceState.Response(upgraded_state=_encode(state))

    @_guarded(pb.ReadResource.Response)
    def ReadResource(self, request: pb.ReadResource.Request, call: Call) -> pb.ReadResource.Response:
        block = self._block(request.type_name)
        current = _decode(block, request.current_state)
        try:
            new = normalize(block, self._resource(request.type_name, call).read(current))
        except Failure as failure:
            return pb.ReadResource.Response(
                new_state=_encode(current), private=request.private, diagnostics=call.diagnostics(failure)
            )
        return pb.ReadResource.Response(
            new_state=_encode(new), private=request.private, diagnostics=call.diagnostics()
        )

    @_guarded(pb.PlanResourceChange.Response)
    def PlanResourceChange(
        self, request: pb.PlanResourceChange.Request, call: Call
    ) -> pb.PlanResourceChange.Response:
        kind = resource_class(request.type_name)
        block = self._block(request.type_name)
        prior = _decode(block, request.prior_state)
        proposed = _decode(block, request.proposed_new_state)
        if proposed is None:  # destroy
            return pb.PlanResourceChange.Response(
                planned_state=_encode(None), planned_private=request.prior_private
            )
        config = _decode(block, request.config)
        planned = plan_change(block, kind.rules, prior, proposed, config)
        return pb.PlanResourceChange.Response(
            planned_state=_encode(planned),
            planned_private=request.prior_private,
            diagnostics=call.diagnostics(),
        )

    @_guarded(pb.ApplyResourceChange.Response)
    def ApplyResourceChange(
        self, request: pb.ApplyResourceChange.Request, call: Call
    ) -> pb.ApplyResourceChange.Response:
        block = self._block(request.type_name)
        prior = _decode(block, request.prior_state)
        planned = _decode(block, request.planned_state)
        resource = self._resource(request.type_name, call)
        new: Any
        try:
            if prior is None:
                new = resource.create(planned)
            elif planned is None:
                resource.delete(prior)
                new = None
            else:
                new = resource.update(prior, planned)
        except Failure as failure:
            # As the framework does: a create that failed before setting the state saves nothing; a failed
            # update or delete keeps the prior state.
            return pb.ApplyResourceChange.Response(
                new_state=_encode(prior), diagnostics=call.diagnostics(failure)
            )
        # A state set together with errors (the Go code adds some without returning) goes to Terraform as
        # is: it keeps a created object tainted.
        return pb.ApplyResourceChange.Response(
            new_state=_encode(normalize(block, new)),
            private=request.planned_private,
            diagnostics=call.diagnostics(),
        )

    @_guarded(pb.ImportResourceState.Response)
    def ImportResourceState(
        self, request: pb.ImportResourceState.Request, call: Call
    ) -> pb.ImportResourceState.Response:
        block = self._block(request.type_name)
        state = normalize(block, self._resource(request.type_name, call).import_state(request.id))
        imported = pb.ImportResourceState.ImportedResource(type_name=request.type_name, state=_encode(state))
        return pb.ImportResourceState.Response(imported_resources=[imported], diagnostics=call.diagnostics())

    @_guarded(pb.MoveResourceState.Response)
    def MoveResourceState(
        self, request: pb.MoveResourceState.Request, call: Call
    ) -> pb.MoveResourceState.Response:
        raise Failure(
            "Move Resource State Not Supported", "The hypercore provider does not support moving resources."
        )

    # --- data sources -----------------------------------------------------------------------------

    @_guarded(pb.ValidateDataResourceConfig.Response)
    def ValidateDataResourceConfig(
        self, request: pb.ValidateDataResourceConfig.Request, call: Call
    ) -> pb.ValidateDataResourceConfig.Response:
        kind = data_source_class(request.type_name)
        config = _decode(self.schema.data_sources[request.type_name].block, request.config) or {}
        _check_integers(kind.integers, config)
        return pb.ValidateDataResourceConfig.Response(diagnostics=call.diagnostics())

    @_guarded(pb.ReadDataSource.Response)
    def ReadDataSource(self, request: pb.ReadDataSource.Request, call: Call) -> pb.ReadDataSource.Response:
        block = self.schema.data_sources[request.type_name].block
        config = _decode(block, request.config) or {}
        source: DataSource = data_source_class(request.type_name)(self.provider.client, call)
        state = normalize(block, source.read(config))
        return pb.ReadDataSource.Response(state=_encode(state), diagnostics=call.diagnostics())

    # --- helpers ----------------------------------------------------------------------------------

    def _block(self, type_name: str) -> Block:
        return self.schema.resources[type_name].block

    def _resource(self, type_name: str, call: Call) -> Resource:
        return resource_class(type_name)(self.provider.client, call)


def _check_integers(integers: Mapping[str, int], config: dict[str, Any]) -> None:
    """The framework's Int32/Int64 conversion of configured numbers."""
    for name, bits in integers.items():
        value = config.get(name)
        if value is None or value is Unknown:
            continue
        if isinstance(value, float) and not value.is_integer():
            raise Failure("Value Conversion Error", f"Attribute {name}: Value {value} is not an integer.")
        if not -(2 ** (bits - 1)) <= int(value) < 2 ** (bits - 1):
            raise Failure(
                "Value Conversion Error",
                f"Attribute {name}: Value {value} cannot be represented as a {bits}-bit integer.",
            )


def serve(provider: StandinProvider | None = None) -> int:
    """Run the provider as a go-plugin child of Terraform until Terraform shuts it down; the exit status."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print(
            "This is the fleetform stand-in for the ScaleComputing/hypercore Terraform provider. Terraform "
            "starts it; it is not meant to be run by hand (install it with "
            "`python -m fleetform.standin_provider.install`).",
            file=sys.stderr,
        )
        return 1
    import grpc  # type: ignore[import-untyped]
    from tf.gen import grpc_controller_pb2 as controller_pb
    from tf.gen import grpc_controller_pb2_grpc as controller_rpc
    from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
    from tf.runner import _self_signed_cert  # tf is pinned (==1.2.0); this is its go-plugin TLS certificate

    stopped = threading.Event()

    class Controller(controller_rpc.GRPCControllerServicer):
        def Shutdown(self, request: Any, context: Any) -> Any:
            stopped.set()
            return controller_pb.Empty()

    class Stdio(stdio_rpc.GRPCStdioServicer):
        def StreamStdio(self, request: Any, context: Any) -> Any:
            return iter([])

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=10))
    rpc.add_ProviderServicer_to_server(ProviderServicer(provider or StandinProvider()), server)
    controller_rpc.add_GRPCControllerServicer_to_server(Controller(), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(Stdio(), server)
    parent = os.getppid()
    with tempfile.TemporaryDirectory(prefix="fleetform-standin-") as workdir:
        socket_path = os.path.join(workdir, "plugin.sock")
        certificate, credentials = _self_signed_cert()
        server.add_secure_port(f"unix://{socket_path}", credentials)
        server.start()
        handshake = base64.b64encode(certificate).decode().rstrip("=")
        print(f"1|6|unix|{socket_path}|grpc|{handshake}", flush=True)
        # Exit when Terraform says so, or when it is gone without saying so.
        while not stopped.wait(0.2):
            if os.getppid() != parent:
                break
        server.stop(grace=0.5).wait()
    return 0
