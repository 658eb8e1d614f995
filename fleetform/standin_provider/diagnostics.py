"""How the stand-in reports problems, in the real provider's words and nothing else.

The Go code reports through the framework's ``resp.Diagnostics``: ``AddError`` and ``AddWarning`` (the
operation may go on), ``AddError`` followed by ``return`` (a :class:`Failure` here), and panics, which its
``utils.RecoverDiagnostics`` turns into the error "Unexpected error" (a :func:`crash` here). A :class:`Call`
collects what one plugin call reported; the server turns it into Terraform diagnostics. No message names the
stand-in, adds advice or a prefix: Terraform itself says which resource a diagnostic belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tf.gen import tfplugin_pb2 as pb

REAL_PANIC = "terraform provider got an unexpected error during execution"
NIL_POINTER = "runtime error: invalid memory address or nil pointer dereference"


class Failure(Exception):
    """An error diagnostic that ends the current operation (``AddError`` and ``return``)."""

    def __init__(self, summary: str, detail: str):
        super().__init__(f"{summary}: {detail}")
        self.summary = summary
        self.detail = detail

    def go_string(self) -> str:
        """``%s`` of the Go ``diag.Diagnostic`` value (a struct of detail and summary): ``{detail summary}``."""
        return "{" + self.detail + " " + self.summary + "}"


def crash(what: str) -> Failure:
    """A panic recovered by ``RecoverDiagnostics``: ``what`` is the panic value as ``%v`` prints it."""
    return Failure("Unexpected error", f"{REAL_PANIC}: {what}")


def nil_pointer() -> Failure:
    """Go dereferenced a nil pointer (a task, record or response that is not there)."""
    return crash(NIL_POINTER)


@dataclass
class Call:
    """One plugin call: what it reported so far (``AddWarning``, ``AddError``), in order."""

    reported: list[pb.Diagnostic] = field(default_factory=list)

    def warn(self, summary: str, detail: str) -> None:
        self.reported.append(_diagnostic(pb.Diagnostic.WARNING, summary, detail))

    def add_error(self, summary: str, detail: str) -> None:
        """An error the Go code adds without returning: the operation goes on."""
        self.reported.append(_diagnostic(pb.Diagnostic.ERROR, summary, detail))

    @property
    def has_error(self) -> bool:
        return any(d.severity == pb.Diagnostic.ERROR for d in self.reported)

    def error(self, failure: Failure) -> pb.Diagnostic:
        return _diagnostic(pb.Diagnostic.ERROR, failure.summary, failure.detail)

    def diagnostics(self, failure: Failure | None = None) -> list[pb.Diagnostic]:
        """Everything reported, and the failure that ended the call, if any."""
        return [*self.reported, *([self.error(failure)] if failure is not None else [])]


def _diagnostic(severity: pb.Diagnostic.Severity, summary: str, detail: str) -> pb.Diagnostic:
    return pb.Diagnostic(severity=severity, summary=summary, detail=detail)
