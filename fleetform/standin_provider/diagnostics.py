"""How the stand-in reports problems: a :class:`Failure` ends an operation, warnings accumulate on the call.

Both become Terraform diagnostics (summary + detail) at the plugin boundary; nothing else leaves a call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tf.gen import tfplugin_pb2 as pb

REAL_PANIC = "terraform provider got an unexpected error during execution"


class Failure(Exception):
    """An error diagnostic that ends the current operation."""

    def __init__(self, summary: str, detail: str):
        super().__init__(f"{summary}: {detail}")
        self.summary = summary
        self.detail = detail


def crash(what: str) -> Failure:
    """The diagnostic the real provider gives when it panics (its ``RecoverDiagnostics``)."""
    return Failure("Unexpected error", f"{REAL_PANIC}: {what}")


@dataclass
class Call:
    """One plugin call: which resource type it is for, what object it is about, and its warnings."""

    type_name: str
    subject: str = ""
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def about(self, subject: str) -> None:
        """Name the object this call works on (a VM name, a disk slot ...) for every message that follows."""
        self.subject = subject

    def warn(self, summary: str, detail: str) -> None:
        self.warnings.append((summary, self._where(detail)))

    def error(self, failure: Failure) -> pb.Diagnostic:
        return _diagnostic(pb.Diagnostic.ERROR, failure.summary, self._where(failure.detail))

    def diagnostics(self, failure: Failure | None = None) -> list[pb.Diagnostic]:
        found = [_diagnostic(pb.Diagnostic.WARNING, summary, detail) for summary, detail in self.warnings]
        if failure is not None:
            found.append(self.error(failure))
        return found

    def _where(self, detail: str) -> str:
        subject = f"{self.type_name} {self.subject}".strip()
        return f"{subject}: {detail}" if subject else detail


def _diagnostic(severity: pb.Diagnostic.Severity, summary: str, detail: str) -> pb.Diagnostic:
    return pb.Diagnostic(severity=severity, summary=summary, detail=detail)
