"""Helpers for the simulator tests (a module of its own, so test modules can import them)."""

from __future__ import annotations

import time
from typing import Any

import requests

from fleetform.simulator.testing import RunningSimulator

API = "/rest/v1"
TEMPLATES = {"bios": "tmpl-bios", "uefi": "tmpl-uefi", "tpm": "tmpl-tpm"}
VLANS = {10: "public-net", 20: "web-net"}


class Http:
    """``requests`` against the simulator, with Basic auth; paths are relative to ``/rest/v1``."""

    def __init__(self, sim: RunningSimulator):
        self.base = sim.url + API
        self.session = requests.Session()
        self.session.auth = (sim.username, sim.password)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, json=json, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def task(self, tag: str) -> dict[str, Any]:
        """The TaskTag record of ``tag``."""
        found: list[dict[str, Any]] = self.get(f"/TaskTag/{tag}").json()
        assert len(found) == 1
        return found[0]

    def wait(self, tag: str, timeout: float = 10.0) -> dict[str, Any]:
        """The TaskTag record of ``tag`` once it is neither QUEUED nor RUNNING."""
        deadline = time.monotonic() + timeout
        while True:
            record = self.task(tag)
            if record["state"] not in ("QUEUED", "RUNNING") or time.monotonic() > deadline:
                return record
            time.sleep(0.02)

    def one(self, path: str) -> dict[str, Any]:
        """The single record a GET by UUID answers."""
        response = self.get(path)
        assert response.status_code == 200, response.text
        body: list[dict[str, Any]] = response.json()
        assert isinstance(body, list) and len(body) == 1
        return body[0]

    def vm_named(self, name: str) -> dict[str, Any]:
        found = [vm for vm in self.get("/VirDomain").json() if vm["name"] == name]
        assert len(found) == 1
        return found[0]

    def create_vm(self, name: str = "vm", **dom: Any) -> str:
        """A VM made with ``POST /VirDomain``; its UUID (the task must complete)."""
        response = self.post("/VirDomain", {"dom": {"name": name, **dom}, "options": {}})
        assert response.status_code == 200, response.text
        body = response.json()
        assert self.wait(body["taskTag"])["state"] == "COMPLETE"
        return str(body["createdUUID"])

    def clone(self, source: str, name: str, **template: Any) -> str:
        response = self.post(f"/VirDomain/{source}/clone", {"template": {"name": name, **template}})
        assert response.status_code == 200, response.text
        assert self.wait(response.json()["taskTag"])["state"] == "COMPLETE"
        return str(response.json()["createdUUID"])

    def action(self, vm_uuid: str, action: str) -> requests.Response:
        return self.post(
            "/VirDomain/action", [{"virDomainUUID": vm_uuid, "actionType": action, "cause": "INTERNAL"}]
        )

    def add_disk(self, vm_uuid: str, capacity: float = 10e9, kind: str = "VIRTIO_DISK", **extra: Any) -> str:
        response = self.post(
            "/VirDomainBlockDevice", {"virDomainUUID": vm_uuid, "type": kind, "capacity": capacity, **extra}
        )
        assert response.status_code == 200, response.text
        assert self.wait(response.json()["taskTag"])["state"] == "COMPLETE"
        return str(response.json()["createdUUID"])

    def add_nic(self, vm_uuid: str, vlan: int = 10, **extra: Any) -> str:
        response = self.post(
            "/VirDomainNetDevice", {"virDomainUUID": vm_uuid, "type": "VIRTIO", "vlan": vlan, **extra}
        )
        assert response.status_code == 200, response.text
        assert self.wait(response.json()["taskTag"])["state"] == "COMPLETE"
        return str(response.json()["createdUUID"])
