"""``with:`` on a near miss (issue 21, Metrics): the event limited to one party, a kind or a list of
actors and traffic blocks; each mistake at its key, with file:line:col."""

from __future__ import annotations

import pytest

import scenariogen
from scenariogen.dsl.describe import summary
from scenariogen.dsl.schema import canonical
from scenariogen.errors import DSLError
from scenariogen.sim.engine import spec_hash

HEAD = """scenariogen: 1
name: t
dt: 0.1
duration: 5
road: {type: straight, lanes: 2, length: 300}
actors:
  ego: {kind: car, lane: 0, s: 10, speed: 5}
  cutter: {kind: car, lane: 1, s: 30, speed: 5}
  walker: {kind: pedestrian, position: {x: 60, y: -4}}
traffic: {count: 2, lanes: [1]}
events:
"""


def parse(events: str):
    return scenariogen.parse_text(HEAD + events, "t.yaml")


def test_a_kind_or_a_list_of_names_limits_the_near_miss():
    spec = parse("""  near_miss: {ttc_below: 1.0, with: pedestrian}
  cut: {type: near_miss, with: [cutter, traffic0]}
  plain: {type: near_miss}
""")
    kind, names, plain = spec.events
    assert (kind.with_kind, kind.with_actors) == ("pedestrian", ())
    assert (names.with_kind, names.with_actors) == (None, ("cutter", "traffic0"))
    assert plain.with_kind is None and plain.with_actors == ()
    text = summary(spec)
    assert "with=pedestrian" in text and "with=[cutter, traffic0]" in text


def test_events_without_a_party_keep_their_spec_hash():
    """Fields at their defaults are left out of the text the spec hash is taken of, so the hash of
    every spec without a party (and so every run directory's) is what it was before ``with:``."""
    spec = parse("  near_miss: {ttc_below: 1.0}\n")
    assert "with_" not in canonical(spec.events[0])
    assert "with_kind='truck'" in canonical(parse("  near_miss: {ttc_below: 1.0, with: truck}\n").events[0])
    assert spec_hash(spec) != spec_hash(parse("  near_miss: {ttc_below: 1.0, with: truck}\n"))


@pytest.mark.parametrize("events, line, column, path, message", [
    ("  near_miss: {with: pedestrain}\n", 12, 21, "events.near_miss.with",
     "unknown kind 'pedestrain'; did you mean 'pedestrian'?"),
    ("  near_miss: {with: cutter}\n", 12, 21, "events.near_miss.with",
     "unknown kind 'cutter'; to limit it to the actor 'cutter', write a list: with: [cutter]"),
    ("  near_miss: {with: [cuter]}\n", 12, 22, "events.near_miss.with[0]", "unknown actor 'cuter'; did you mean 'cutter'?"),
    ("  near_miss: {with: [cutter, truck]}\n", 12, 30, "events.near_miss.with[1]",
     "'truck' is a kind, which goes alone, not in a list: with: truck"),
    ("  near_miss: {with: [walker, walker]}\n", 12, 30, "events.near_miss.with[1]", "'walker' is listed twice"),
    ("  near_miss: {with: [ego]}\n", 12, 22, "events.near_miss.with[0]", "the ego is the other side of every near miss"),
    ("  near_miss: {with: []}\n", 12, 21, "events.near_miss.with", "an empty list"),
    ("  near_miss: {with: 3}\n", 12, 21, "events.near_miss.with", "expected a kind (car, truck, bus"),
    ("  near_miss: {with: [3]}\n", 12, 22, "events.near_miss.with[0]", "expected an actor name, got"),
    ("  near_miss: {actor: cutter, with: walker}\n", 12, 30, "events.near_miss.with",
     "'with' limits the ego's near misses to one party; a near miss of 'cutter' is one with the ego already"),
    ("  collision: {with: walker}\n", 12, 15, "events.collision.with", "unknown key 'with'"),
    ("  near_miss: {with: [traffic1]}\n", 12, 22, "events.near_miss.with[0]",
     "unknown actor 'traffic1'; did you mean 'traffic0'?"),
])
def test_mistakes_in_with_are_pinned_at_their_key(events, line, column, path, message):
    with pytest.raises(DSLError) as err:
        parse(events)
    p = err.value.first
    assert (p.file, p.path) == ("t.yaml", path), p
    assert message in p.message, p.message
    assert (p.line, p.column) == (line, column), p


def test_show_prints_every_option_of_every_event():
    """``show`` names each event's actor and party (a 'cutter_crash' is the cutter's collision, not the ego's)."""
    spec = parse("""  near: {type: near_miss, ttc_below: 1.0, with: [cutter]}
  cutter_crash: {type: collision, actor: cutter}
  brake: {type: hard_braking, decel_above: 6, actor: cutter}
""")
    lines = [ln.strip() for ln in summary(spec).splitlines()]
    assert "near (near_miss: ttc_below=1, actor=ego, with=[cutter])" in lines
    assert "cutter_crash (collision: actor=cutter)" in lines
    assert "brake (hard_braking: decel_above=6, actor=cutter)" in lines


def test_the_hash_text_leaves_out_every_field_at_its_default():
    """One rule for every field added later with a default (seed_from, replay, accel_noise, a map
    road's fields, with:): at its default it is not in the hashed text, set it is."""
    spec = parse("  near_miss: {ttc_below: 1.0}\n")
    text = canonical(spec)
    for name in ("seed_from=", "replay=", "accel_noise=", "map_file=", "with_actors=", "calibrate="):
        assert name not in text
    assert "ttc_below=1.0" in text and text.startswith("ScenarioSpec(")
