"""Human units, names for ids, and redaction."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fleetform.review.values import (
    disk_size,
    marked,
    masked_lines,
    memory,
    tags,
    text_change,
    vlan,
)


def test_memory_in_mib_reads_as_gib() -> None:
    assert (memory(2048), memory(1536), memory(512), memory(16384)) == (
        "2 GiB",
        "1.5 GiB",
        "512 MiB",
        "16 GiB",
    )


def test_disk_size_in_decimal_gb_reads_with_its_gib() -> None:
    assert disk_size(53.687091200) == "53.7 GB (50.0 GiB)"
    assert disk_size(10) == "10.0 GB (9.3 GiB)"


def test_vlan_is_named_by_the_site_config() -> None:
    names = {20: ["web-net"], 30: ["app-net", "legacy-app"]}
    assert vlan(20, names) == "20 (web-net)"
    assert vlan(30, names) == "30 (app-net, legacy-app)"
    assert vlan(99, names) == "99 (no network in fleetform.yaml)"


def test_no_tags_read_as_none() -> None:
    assert tags([""]) == "(none)" and tags(["a", "b"]) == "a, b"


def test_marks_cover_nested_values_and_whole_lists() -> None:
    marks = {"clone": {"user_data": True}, "tags": [False, True]}
    assert marked(marks, ("clone", "user_data"))
    assert marked(marks, ("clone",))  # an object holding a secret is a secret
    assert marked(marks, ("tags",))
    assert not marked(marks, ("name",))
    assert marked(True, ("anything",))


def test_secret_looking_lines_are_masked_in_cloud_init() -> None:
    text = "#cloud-config\nchpasswd:\n  list: |\n    root:Passw0rd123\nruncmd:\n  - echo 'u:hunter22' | chpasswd\npassword: abc123456\nhostname: db\n"
    shown = "\n".join(masked_lines(text))
    for secret in ("Passw0rd123", "hunter22", "abc123456"):
        assert secret not in shown
    assert "hostname: db" in shown


def test_a_changed_secret_line_still_shows_as_changed() -> None:
    summary, diff = text_change("password: old-secret-1\n", "password: new-secret-2\n")
    assert summary == "(+1 −1 lines)"
    assert diff == ["- •••• (hidden: looks like a password)", "+ •••• (hidden: looks like a password)"]


def test_long_diffs_are_cut_and_counted() -> None:
    before = "\n".join(f"line {n}" for n in range(40))
    after = "\n".join(f"line {n}!" for n in range(40))
    summary, diff = text_change(before, after, limit=5)
    assert summary == "(+40 −40 lines)" and diff[-1] == "… 75 more changed lines"


@given(
    secret=st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%+-.@^_~",
        min_size=8,
        max_size=30,
    ),
    key=st.sampled_from(["password", "passwd", "db_password", "api_key", "token", "secret", "PASSWORD"]),
    separator=st.sampled_from([": ", "=", ' = "', ": '"]),
)
def test_masked_text_never_holds_an_assigned_secret(secret: str, key: str, separator: str) -> None:
    text = f"#cloud-config\nwrite_files:\n  - content: {key}{separator}{secret}\nhostname: x\n"
    _, diff = text_change("#cloud-config\n", text)
    assert all(secret not in line for line in masked_lines(text))
    assert all(secret not in line for line in diff)
