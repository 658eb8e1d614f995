"""Templating: a manifest's YAML data, rendered for one target, with its VMs expanded into replicas.

Every string value may use Jinja2 (``name: "app-tier-{{ instance_id }}"``, ``{{clusterName}}``); mapping keys
are never rendered. Rendering runs in Jinja's sandbox with strict undefined variables, so a typo is an error
at the manifest's line, not an empty string on the cluster. A string that is one expression and nothing else
(``cpu: "{{ web_cpus }}"``) keeps the expression's type, so numbers stay numbers.

A VM may ask for copies with the extension key ``x-fleetform: {replicas: N}``; copy ``k`` (1-based) sees
``instance_id`` (``"01"``, ``"02"``, ...) and ``instance_index`` (``1``, ``2``, ...). Every VM is instance 1 of 1
unless it says otherwise. ``x-fleetform.depends_on`` is not rendered: it names VMs as the manifest writes them,
so ``app-tier-{{ instance_id }}`` there means every copy.

Cloud-init data whose first line is ``## template: jinja`` is cloud-init's own template and is left alone.
``{{ secret("name") }}`` stands for a secret that Terraform reads from a sensitive variable (see
:mod:`fleetform.manifest.secrets`); the text never holds the value.

Rendered data keeps the positions of the text it came from: a node of copy ``k`` of VM ``i`` is located at the
line of VM ``i``, so every later error points at the manifest's own lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from fleetform.errors import Issue, Location
from fleetform.manifest.secrets import secret_marker, valid_secret_name
from fleetform.yamlsrc import NodePath, YamlDocument

EXTENSION = "x-fleetform"
BUILTINS = ("clusterName", "clusterId", "instance_id", "instance_index")
MAX_REPLICAS = 999
_MARK = re.compile(r"{{|{%|{#")
_SINGLE = re.compile(r"^\s*{{(?P<expr>(?:(?!}}).)*)}}\s*$", re.DOTALL)
_CLOUD_INIT_TEMPLATE = "## template: jinja"


@dataclass
class Rendered:
    """A manifest's data rendered for one target, with where each node came from."""

    doc: YamlDocument
    """The rendered data, with node positions mapped back to the source text."""
    origins: dict[int, int] = field(default_factory=dict)
    """Rendered VM index -> the index of the VM it was expanded from."""
    issues: list[Issue] = field(default_factory=list)


def has_template(value: Any) -> bool:
    """Whether a string uses Jinja syntax."""
    return isinstance(value, str) and _MARK.search(value) is not None


class Renderer:
    """Renders manifest data for one set of variables (a target and an application)."""

    def __init__(self, variables: Mapping[str, Any]):
        self.variables = dict(variables)
        self.env = SandboxedEnvironment(
            undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
        )
        self.env.globals["secret"] = _secret

    def render(self, source: YamlDocument) -> Rendered:
        """The data of ``source`` rendered, its VMs expanded; problems in ``issues`` (never raised)."""
        state = _Walk(self, source)
        data = state.value(source.data, (), (), self.variables)
        doc = YamlDocument(source.path, data, state.values, state.keys, list(source.issues), state.blocks)
        return Rendered(doc=doc, origins=state.origins, issues=state.issues)


def _secret(name: Any) -> str:
    if not isinstance(name, str) or not valid_secret_name(name):
        raise jinja2.TemplateError(
            f"secret name {name!r} must be lowercase letters, digits and '_', starting with a letter"
        )
    return secret_marker(name)


class _Walk:
    """One rendering pass: rebuilds the data and the position maps under the new node paths."""

    def __init__(self, renderer: Renderer, source: YamlDocument):
        self.renderer = renderer
        self.source = source
        self.values: dict[NodePath, Location] = {}
        self.keys: dict[NodePath, Location] = {}
        self.blocks: set[NodePath] = set()
        self.origins: dict[int, int] = {}
        self.issues: list[Issue] = []

    def place(self, new: NodePath, old: NodePath) -> None:
        location = self.source.values.get(old)
        if location is not None:
            self.values[new] = location
        key = self.source.keys.get(old)
        if key is not None:
            self.keys[new] = key
        if old in self.source.blocks:
            self.blocks.add(new)

    def value(self, data: Any, new: NodePath, old: NodePath, variables: Mapping[str, Any]) -> Any:
        self.place(new, old)
        if isinstance(data, dict):
            if new == ("spec",) and isinstance(data.get("resources"), list):
                return self.spec(data, new, old, variables)
            result = {}
            for key, item in data.items():
                if new and new[-1] == "cloud_init_data" and _is_cloud_template(item):
                    self.place((*new, key), (*old, key))
                    result[key] = item
                    continue
                result[key] = self.value(item, (*new, key), (*old, key), variables)
            return result
        if isinstance(data, list):
            return [self.value(item, (*new, i), (*old, i), variables) for i, item in enumerate(data)]
        if has_template(data):
            return self.text(data, old, variables)
        return data

    def spec(self, data: dict[str, Any], new: NodePath, old: NodePath, variables: Mapping[str, Any]) -> Any:
        result: dict[str, Any] = {}
        for key, item in data.items():
            if key != "resources":
                result[key] = self.value(item, (*new, key), (*old, key), variables)
                continue
            self.place((*new, key), (*old, key))
            resources: list[Any] = []
            for index, vm in enumerate(item):
                at = (*old, key, index)
                for instance in range(1, self.replicas(vm, at, variables) + 1):
                    own = {**variables, "instance_id": f"{instance:02d}", "instance_index": instance}
                    self.origins[len(resources)] = index
                    resources.append(self.vm(vm, (*new, key, len(resources)), at, own))
            result[key] = resources
        return result

    def vm(self, vm: Any, new: NodePath, old: NodePath, variables: Mapping[str, Any]) -> Any:
        if not isinstance(vm, dict):
            return self.value(vm, new, old, variables)
        result: dict[str, Any] = {}
        self.place(new, old)
        for key, item in vm.items():
            if key == EXTENSION and isinstance(item, dict):
                # depends_on names VMs as written (templates included); replicas was used already.
                self.place((*new, key), (*old, key))
                ext = {}
                for name, value in item.items():
                    if name == "replicas":
                        value = 1  # this copy is one of them
                        self.place((*new, key, name), (*old, key, name))
                    elif name == "depends_on":
                        self.copy_positions(value, (*new, key, name), (*old, key, name))
                    else:
                        value = self.value(value, (*new, key, name), (*old, key, name), variables)
                    ext[name] = value
                result[key] = ext
            else:
                result[key] = self.value(item, (*new, key), (*old, key), variables)
        return result

    def copy_positions(self, data: Any, new: NodePath, old: NodePath) -> None:
        self.place(new, old)
        if isinstance(data, list):
            for i, item in enumerate(data):
                self.copy_positions(item, (*new, i), (*old, i))

    def replicas(self, vm: Any, at: NodePath, variables: Mapping[str, Any]) -> int:
        ext = vm.get(EXTENSION) if isinstance(vm, dict) else None
        raw: Any = ext.get("replicas", 1) if isinstance(ext, dict) else 1
        where = (*at, EXTENSION, "replicas")
        if isinstance(raw, str) and has_template(raw):
            raw = self.text(raw, where, variables)
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_REPLICAS:
            self.issues.append(
                Issue(
                    self.source.locate(where),
                    f"{EXTENSION}.replicas must be a whole number from 1 to {MAX_REPLICAS}, not {raw!r}",
                    "e.g. replicas: 3 (the VM's name must then use {{ instance_id }})",
                )
            )
            return 1
        name = vm.get("name") if isinstance(vm, dict) else None
        if raw > 1 and isinstance(name, str) and not re.search(r"instance_(id|index)", name):
            self.issues.append(
                Issue(
                    self.source.locate((*at, "name")),
                    f"VM '{name}' has {raw} replicas but its name does not use {{{{ instance_id }}}}, "
                    "so every copy would have the same name",
                    f'e.g. name: "{name}-{{{{ instance_id }}}}"',
                )
            )
            return 1
        return raw

    def text(self, text: str, at: NodePath, variables: Mapping[str, Any]) -> Any:
        """A rendered string; a lone expression keeps its type. Errors become issues (the text is kept)."""
        env = self.renderer.env
        single = _SINGLE.match(text)
        try:
            if single is not None and "{{" not in single["expr"] and "{%" not in single["expr"]:
                value = env.compile_expression(single["expr"], undefined_to_none=False)(**variables)
                if isinstance(value, jinja2.Undefined):
                    str(value)  # raises UndefinedError with Jinja's own message
                return value
            return env.from_string(text).render(**variables)
        except jinja2.TemplateSyntaxError as exc:
            self.issues.append(self.issue(at, text, exc.lineno, f"template syntax error: {exc.message}"))
        except jinja2.UndefinedError as exc:
            self.issues.append(self.issue(at, text, _line_of(exc), _undefined_message(exc, variables)))
        except jinja2.TemplateError as exc:
            self.issues.append(self.issue(at, text, _line_of(exc), f"template error: {exc}"))
        except Exception as exc:  # a filter or an operator failed on the values it was given
            self.issues.append(
                self.issue(at, text, _line_of(exc), f"template error: {type(exc).__name__}: {exc}")
            )
        return text

    def issue(self, at: NodePath, text: str, lineno: int | None, message: str) -> Issue:
        location = self.source.text_line(at, lineno) if lineno else self.source.locate(at)
        hint = (
            "define it under variables: in fleetform.yaml (for the site, a cluster or applications.<name>); "
            f"always defined: {', '.join(BUILTINS[:2])}, and {', '.join(BUILTINS[2:])} inside a VM"
            if "undefined" in message
            else "see https://jinja.palletsprojects.com/en/stable/templates/"
        )
        return Issue(location, message, hint)


def _is_cloud_template(value: Any) -> bool:
    return isinstance(value, str) and value.lstrip().startswith(_CLOUD_INIT_TEMPLATE)


def _line_of(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _undefined_message(exc: jinja2.UndefinedError, variables: Mapping[str, Any]) -> str:
    message = str(exc.message or exc)
    match = re.match(r"'([^']+)' is undefined", message)
    if match is None:
        return f"template error: {message}"
    name = match[1]
    if name in ("instance_id", "instance_index"):
        return f"'{name}' is only defined inside a VM (spec.resources[])"
    from fleetform.yamlsrc import did_you_mean

    guess = did_you_mean(name, [k for k in variables if isinstance(k, str)])
    return f"undefined template variable '{name}'" + (f"; did you mean '{guess}'?" if guess else "")
