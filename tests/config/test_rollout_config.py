"""fleetform.yaml rollout: waves by cluster labels and shares, resolved in order, checked with file:line."""

from __future__ import annotations

import pytest

from fleetform.errors import ConfigError, Issue
from fleetform.site.config import parse_config
from fleetform.site.waves import resolve_waves, seconds

CLUSTERS = """\
networks: {lan: 0}
clusters:
  - {name: store-01, labels: [canary]}
  - {name: store-02, labels: ["region:eu"]}
  - {name: store-03, labels: ["region:eu"]}
  - {name: store-04, labels: ["region:us"]}
  - {name: store-05, labels: ["region:us"]}
  - {name: store-06, labels: ["region:us"]}
"""


def waves_of(rollout: str) -> list[tuple[str, tuple[str, ...]]]:
    site = parse_config(CLUSTERS + rollout, "site.yaml")
    assert site.rollout is not None
    return [(w.name, w.clusters) for w in resolve_waves(site.rollout, site.clusters)]


def errors(rollout: str, clusters: str = CLUSTERS) -> list[Issue]:
    with pytest.raises(ConfigError) as info:
        parse_config(clusters + rollout, "site.yaml")
    return info.value.issues


def test_waves_take_labels_then_shares_of_the_rest_in_file_order() -> None:
    rollout = """\
rollout:
  waves:
    - {name: canary, labels: [canary]}
    - {name: early, share: 30%}
    - {name: us, labels: ["region:us"]}
"""
    assert waves_of(rollout) == [
        ("canary", ("store-01",)),
        # 30% of the five left is 1.5: rounded up, the first two in file order.
        ("early", ("store-02", "store-03")),
        ("us", ("store-04", "store-05", "store-06")),
    ]


def test_clusters_no_wave_takes_form_an_implicit_last_wave() -> None:
    site = parse_config(CLUSTERS + "rollout:\n  waves:\n    - {name: canary, labels: [canary]}\n", "s.yaml")
    assert site.rollout is not None
    waves = resolve_waves(site.rollout, site.clusters)
    assert [(w.number, w.name, w.implicit) for w in waves] == [(1, "canary", False), (2, "rest", True)]
    assert waves[1].clusters == ("store-02", "store-03", "store-04", "store-05", "store-06")


def test_a_wave_with_labels_and_a_share_takes_a_share_of_the_matching_clusters() -> None:
    rollout = 'rollout:\n  waves:\n    - {name: us-first, labels: ["region:us"], share: 10%}\n'
    # At least one cluster: ceil(0.3) is 1.
    assert waves_of(rollout)[0] == ("us-first", ("store-04",))


def test_settings_fall_back_to_the_rollout_defaults() -> None:
    rollout = """\
rollout:
  max_parallel: 8
  failure_budget: 10%
  health: {timeout: 2m, interval: 500ms}
  waves:
    - {name: canary, labels: [canary], max_parallel: 1, failure_budget: 0, health: {timeout: 30s}, approval: true}
    - {name: all}
"""
    site = parse_config(CLUSTERS + rollout, "site.yaml")
    assert site.rollout is not None
    canary, rest = resolve_waves(site.rollout, site.clusters)
    assert (canary.max_parallel, canary.failure_budget, canary.timeout, canary.interval, canary.approval) == (
        1,
        0,
        30.0,
        0.5,
        True,
    )
    assert (rest.max_parallel, rest.failure_budget, rest.timeout, rest.approval) == (8, "10%", 120.0, False)
    assert rest.budget(5) == 0 and rest.budget(10) == 1 and rest.budget(29) == 2


@pytest.mark.parametrize(
    ("text", "expected"), [("30s", 30), ("5m", 300), ("1h", 3600), ("250ms", 0.25), (7, 7)]
)
def test_durations(text: str | int, expected: float) -> None:
    assert seconds(text) == expected


def test_unknown_label_is_located_with_a_did_you_mean() -> None:
    [issue] = errors("rollout:\n  waves:\n    - name: canary\n      labels: [canari]\n")
    assert (issue.location.line, issue.location.col) == (12, 16)
    assert issue.message == "label 'canari' is not on any cluster; did you mean 'canary'?"
    assert "canary, region:eu, region:us" in issue.hint


def test_a_cluster_in_two_waves_is_an_error_at_the_second() -> None:
    rollout = """\
rollout:
  waves:
    - {name: canary, labels: [canary]}
    - name: pilot
      clusters: [store-02, store-01]
"""
    [issue] = errors(rollout)
    assert (issue.location.line, issue.location.col) == (13, 28)
    assert issue.message == "cluster 'store-01' is in two waves: wave 'canary' takes it first"


def test_a_share_over_100_percent_is_an_error_at_the_share() -> None:
    [issue] = errors("rollout:\n  waves:\n    - name: early\n      share: 150%\n")
    assert (issue.location.line, issue.location.col) == (12, 14)
    assert "a share is at most 100%, not 150%" in issue.message


def test_an_empty_wave_is_an_error_at_its_name() -> None:
    rollout = """\
rollout:
  waves:
    - {name: eu, labels: ["region:eu"]}
    - {name: eu-again, labels: ["region:eu"]}
"""
    [issue] = errors(rollout)
    assert issue.location.line == 12
    assert issue.message == (
        "wave 'eu-again' selects no cluster: every cluster with labels region:eu is in an earlier wave"
    )


def test_unknown_cluster_and_duplicate_wave_names() -> None:
    rollout = """\
rollout:
  waves:
    - {name: pilot, clusters: [store-1]}
    - {name: pilot, labels: [canary]}
"""
    issues = errors(rollout)
    assert [(i.location.line, i.message) for i in issues] == [
        (11, "cluster 'store-1' is not under clusters:; did you mean 'store-01'?"),
        (12, "wave name 'pilot' is used twice (first at line 11)"),
    ]


def test_rollout_needs_clusters() -> None:
    [issue] = errors("rollout:\n  waves: [{name: all}]\n", clusters="networks: {lan: 0}\n")
    assert issue.location.line == 2
    assert "rollout: needs clusters:" in issue.message


def test_bad_values_are_plain_words() -> None:
    issues = errors("rollout:\n  max_parallel: 0\n  health: {timeout: soon}\n  waves: []\n")
    messages = sorted(i.message for i in issues)
    assert messages == [
        "rollout.health.timeout: 'soon' is not a duration",
        "rollout.max_parallel must be at least 1, not 0",
        "rollout.waves needs at least 1 item",
    ]


def test_cluster_labels_have_no_spaces_or_commas() -> None:
    [issue] = errors("", clusters="clusters:\n  - {name: a, labels: ['canary,eu']}\n")
    assert issue.location.line == 2
    assert "labels[0]" in issue.message
