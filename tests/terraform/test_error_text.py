"""Terraform's error output reduced to its Error blocks, for messages that say what went wrong."""

from __future__ import annotations

from fleetform.terraform.runner import error_text

PLAIN = """\
hypercore_vm.web: Refreshing state...

Error: Instance cannot be destroyed

  on cdk.tf.json line 45:
  45:       "hypercore_disk": {

Resource hypercore_disk.db__data has lifecycle.prevent_destroy set.

Warning: something else

not an error
"""

# What the real provider (and the stand-in) says when HyperCore refuses a NIC: its Go panic, recovered.
PANIC = "terraform provider got an unexpected error during execution: runtime error: invalid memory address or nil pointer dereference"
BOXED = f"╷\n│ Error: Unexpected error\n│ \n│ {PANIC}\n╵\n"


def test_error_text_keeps_whole_error_blocks_and_drops_the_rest() -> None:
    text = error_text(PLAIN)
    assert text.startswith("Error: Instance cannot be destroyed")
    assert "prevent_destroy" in text
    assert "Refreshing" not in text and "Warning" not in text and "not an error" not in text


def test_error_text_strips_the_box_terraform_draws_on_terminals() -> None:
    assert error_text(BOXED) == f"Error: Unexpected error\n\n{PANIC}"


def test_error_text_without_error_blocks_is_the_output_tail() -> None:
    assert error_text("one\ntwo\nthree", limit=2) == "two\nthree"
