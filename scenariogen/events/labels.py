"""Event labels and robustness scores from the kernel's metrics.

Each event of the spec becomes a boolean label per scenario and a continuous
robustness score that is negative exactly when the event happens, which the
rare-event samplers minimise (durations compare on the step grid, with half
a step of slack so "at least 0.5 s" holds for five steps of 0.1 s):

- ``near_miss``: min(min TTC - ttc_below [s], min distance - distance_below [m])
  over the thresholds given (either one met is a near miss); TTC is the first
  time the two oriented boxes overlap along the paths the agents are predicted
  to follow (``kernels/paths.py``), capped at the kernel's horizon. With a party
  (``with:``), the ego's encounters count only with the agents of that kind or
  those names (a traffic block's name stands for its vehicles);
- ``collision``: once the actor has collided, -(1 + time left after its first contact
  [s]), so earlier contacts score lower. Before that, for the ego its min box distance
  (m) to any agent; for another actor its min box TTC (s) to any other agent, or, if
  none came within the TTC horizon, the horizon plus its min box distance (m): a gap
  alone stalls at the lateral gap of two cars in adjacent lanes, which a lane change
  closes only through the TTC;
- ``hard_braking``: decel_above - largest deceleration of the actor (m/s^2);
- ``occluded_threat``: min_duration - longest stretch (s) the target spent
  hidden from the ego sensor (within range, visible fraction below the
  sensor's threshold) before its closest approach to the ego;
- ``sensor_dropout``: min_duration - longest dropout burst (s) during which a
  threat was present (an agent with TTC to the ego below ``layout.THREAT_TTC``).
"""

from __future__ import annotations

import numpy as np

from ..dsl import schema as S
from ..errors import SimulationError
from ..data import layout as Lo

def party_mask(ev: S.EventSpec, kinds: np.ndarray, agent_names: tuple[str, ...]) -> np.ndarray:
    """(B, N) bool: the agents of event ``ev``'s party (``with:``), never the ego; ``kinds`` (B, N)
    the agents' kind codes (``layout.KIND_CODES``)."""
    if ev.with_kind is not None:
        mask = np.asarray(kinds) == Lo.KIND_CODES[ev.with_kind]
    else:
        named = set(ev.with_actors)
        cols = np.array([n in named or n.split(".", 1)[0] in named for n in agent_names], dtype=bool)
        mask = np.broadcast_to(cols, np.shape(kinds)).copy()
    mask[:, 0] = False
    return mask


def event_scores(
    spec: S.ScenarioSpec,
    metrics: np.ndarray,
    agent_metrics: np.ndarray,
    agent_names: tuple[str, ...],
    horizon: float,
    kinds: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Robustness per event name, shape (B,), for every event this module can score; ``kinds``
    (B, N): the agents' kind codes, needed by an event limited to a kind (``with:``)."""
    out: dict[str, np.ndarray] = {}
    idx = {n: i for i, n in enumerate(agent_names)}
    for ev in spec.events:
        a = idx[ev.actor]
        if ev.type == "near_miss":
            if ev.with_kind is not None or ev.with_actors:  # the ego's encounters with its party only
                if kinds is None:
                    raise SimulationError(f"event {ev.name}: the agents' kinds are needed for 'with'")
                party = party_mask(ev, kinds, agent_names)
                ttc = np.where(party, agent_metrics[:, :, Lo.A_MIN_TTC], np.inf).min(axis=1)
                dist = np.where(party, agent_metrics[:, :, Lo.A_MIN_DIST], np.inf).min(axis=1)
            elif a == 0:
                ttc, dist = metrics[:, Lo.S_MIN_TTC], metrics[:, Lo.S_MIN_DIST]
            else:  # a near miss between the ego and this actor
                ttc, dist = agent_metrics[:, a, Lo.A_MIN_TTC], agent_metrics[:, a, Lo.A_MIN_DIST]
            terms = []
            if ev.ttc_below is not None:
                terms.append(np.minimum(ttc, horizon) - ev.ttc_below)
            if ev.distance_below is not None:
                terms.append(np.minimum(dist, 1e6) - ev.distance_below)
            out[ev.name] = np.minimum.reduce(terms)
        elif ev.type == "collision":
            if a == 0:
                t_coll, near = metrics[:, Lo.S_EGO_COLL_TIME], np.minimum(metrics[:, Lo.S_MIN_DIST], 1e6)
            else:  # the actor's own closest call with any agent: its TTC, else the horizon plus its gap
                t_coll = agent_metrics[:, a, Lo.A_COLL_TIME]
                ttc = agent_metrics[:, a, Lo.A_MIN_TTC_ANY]
                near = np.where(ttc < horizon, ttc, horizon + np.minimum(agent_metrics[:, a, Lo.A_MIN_GAP], 1e6))
            hit = np.isfinite(t_coll)
            out[ev.name] = np.where(hit, -(1.0 + spec.duration - np.where(hit, t_coll, 0.0)), near)
        elif ev.type == "hard_braking":
            out[ev.name] = ev.decel_above - agent_metrics[:, a, Lo.A_MAX_DECEL]
        elif ev.type == "occluded_threat":
            out[ev.name] = ev.min_duration - 0.5 * spec.dt - agent_metrics[:, idx[ev.target], Lo.A_OCC_LONGEST]
        elif ev.type == "sensor_dropout":
            out[ev.name] = ev.min_duration - 0.5 * spec.dt - metrics[:, Lo.S_DROP_THREAT_LONGEST]
        else:  # pragma: no cover - the DSL rejects other types
            raise SimulationError(f"unknown event type {ev.type}")
    return out


def labels_from_scores(scores: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """An event happened exactly where its robustness is negative."""
    return {name: r < 0.0 for name, r in scores.items()}
