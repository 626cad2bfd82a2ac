"""The simulation kernel's argument groups: named tuples of arrays.

They are module-level ``collections.namedtuple`` types, so Numba can type
and cache the functions that take them. The engine builds the inputs
(:class:`Road`, :class:`Agents`, :class:`Init`, :class:`Settings`,
:class:`Sensor`) and the outputs (:class:`Outputs`); every thread allocates
its own work arrays with :func:`alloc` (:class:`State`, :class:`Scratch`,
:class:`Tracks`) and reuses them for the scenarios it simulates.

Shapes: B scenarios, N agents (agent 0 is the ego), K manoeuvre slots, L
lanes, P lane points, T steps, F recorded frames. Units: m, s, rad, m/s,
m/s^2. Column meanings: :mod:`scenariogen.data.layout`.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from .occlusion import occlusion_scratch
from .paths import N_MOT

REACT_BUF = 32  # steps of reaction delay the command buffer holds

Road = namedtuple("Road", [
    "offset",  # (L + 1,) int: first point of each lane
    "length",  # (L,) m
    "width",  # (L,) m
    "successor",  # (L, S) int lane ids
    "n_successor",  # (L,) int
    "left",  # (L,) int, -1 if none
    "right",  # (L,) int, -1 if none
    "dead_end",  # (L,) bool: the lane ends while a neighbour goes on
    "px",  # (P,) m
    "py",  # (P,) m
    "heading",  # (P,) rad
    "curvature",  # (P,) 1/m
    "curved",  # (L,) bool: some segment of the lane has a curvature above 1e-4 1/m
    "opposite",  # (L,) int: the adjacent lane on the left driving the other way, -1 none
    "predecessor",  # (L, S) int lane ids
    "n_predecessor",  # (L,) int
    # right of way (scenariogen.road.compile.CompiledRules): conflict entries by lane, E in all
    "cf_first",  # (L + 1,) int: lane k's entries are cf_first[k]:cf_first[k + 1]
    "cf_other",  # (E,) int: the other lane
    "cf_in", "cf_out",  # (E,) m: the area on this lane
    "cf_oin", "cf_oout",  # (E,) m: the area on the other lane
    "cf_rule",  # (E,) int: RULE_* of the driver on this lane
    "lane_sign",  # (L,) int: 0 none, 1 yield, 2 stop at the lane's end
    "lane_group",  # (L,) int: signal group at the lane's end, -1 none
    "all_way",  # (1,) bool: first come first served goes by who stopped first
    "cw_first",  # (L + 1,) int: lane k's crosswalk crossings
    "cw_in", "cw_out",  # (C,) m on the lane
    "cw_walk",  # (C,) int crosswalk
    "walk_x", "walk_y",  # (W, Q) m: crosswalk corners
    "walk_n",  # (W,) int corners
])

World = namedtuple("World", [
    "start",  # (B, G) s: when in the cycle each signal group turns green
    "green", "amber",  # (B, G) s
    "cycle",  # (B,) s, 0 without signals
    "offset",  # (B,) s into the cycle at t = 0
])

Agents = namedtuple("Agents", [
    "kind",  # (B, N) int
    "length",  # (B, N) m
    "width",  # (B, N) m
    "valid",  # (B, N) bool: the agent exists in this scenario
    "free",  # (B, N) bool: off-lane (walks its crossing path)
    "model",  # (B, N) int behaviour model
    "params",  # (B, N, P_*) behaviour parameters
    "man_type",  # (N, K) int manoeuvre kind, 0 for none
    "man_trig",  # (N, K) int trigger kind
    "man_other",  # (N, K) int the trigger's other agent
    "man_to",  # (N, K) int target lane of a lane change
    "man_trig2",  # (N, K) int second condition's kind, TRIG_NONE for none
    "man_other2",  # (N, K) int its other agent
    "man_combo",  # (N, K) int COMBO_ONE, COMBO_ANY or COMBO_ALL
    "man_val",  # (B, N, K, M_*) manoeuvre values
    "route",  # (N, R) int lanes
    "route_len",  # (N,) int
    "path",  # (N, Q, 2) m, crossing path as offsets from the start
    "path_len",  # (N,) int
    "max_brake",  # (B, N) m/s^2
    "max_jerk",  # (B, N) m/s^3
    "max_steer",  # (B, N) rad
])

Init = namedtuple("Init", [
    "x", "y",  # (B, N) m
    "heading",  # (B, N) rad
    "speed",  # (B, N) m/s
    "lane",  # (B, N) int, -1 off-lane
    "s", "offset",  # (B, N) m, Frenet coordinates on the lane
    "lc_to",  # (B, N) int: lane a lane change in progress at t = 0 goes to, -1 none; the agent's own
    # lane: it goes back to its centre from the neighbour its offset points to
    "lc_dur",  # (B, N) s, how long that lane change goes on
    # log replay (seeded families): agents that follow their recording, its state at every step
    # 0..T (R = T + 1; R = 1 and no agent replayed when the scenario has none)
    "replay",  # (B, N) bool: the agent follows its recording
    "rx", "ry", "rh", "rv",  # (B, N, R) m, m, rad, m/s
    "rlane",  # (B, N, R) int
    "rs", "roff",  # (B, N, R) m on the lane
    "rpresent",  # (B, N, R) bool: in the log at that step (else it is not in the scene)
])

Settings = namedtuple("Settings", [
    "dt",  # s
    "n_steps",
    "record_every",  # steps between recorded frames
    "ttc_threshold",  # s, TTC counted as critical (TET, critical dropouts)
    "ttc_horizon",  # s, TTC beyond this counts as none
    "n_named",  # named actors, the ego included (they get the min-gap metrics)
])

Sensor = namedtuple("Sensor", [
    "params",  # (B, E_*) the ego's sensor and AEB
    "seeds",  # (B,) uint64 random-stream state
    "occ_px", "occ_py",  # (V,) m, static occluder polygon vertices
    "occ_start", "occ_count",  # (G,) int, each polygon's vertices
])

Outputs = namedtuple("Outputs", [
    "traj",  # (B, N, F, F_*) float32
    "mask",  # (B, N, F) bool
    "metrics",  # (B, S_*); also the step loop's accumulators
    "agent_metrics",  # (B, N, A_*)
    "visible",  # (B, N, F) float32 visible fraction (F = 0 without a sensor or recording)
    "detected",  # (B, N, F) bool
    "tracked",  # (B, N, F) bool
    "track_xy",  # (B, N, F, 2) float32 m
    "dropout",  # (B, F) bool
])

State = namedtuple("State", [
    "xs", "ys", "hs",  # (N,) world pose: m, m, rad
    "v", "acc",  # (N,) m/s, m/s^2
    "e",  # (N,) rad, heading error to the lane
    "dl", "sl",  # (N,) m, lateral offset and arc length on the lane
    "ln",  # (N,) int lane
    "steer",  # (N,) rad
    "crashed",  # (N,) bool
    "route_pos",  # (N,) int position on the route, -1 off it
    "lc_active",  # (N,) bool, changing lanes
    "lc_t0", "lc_dur",  # (N,) s, lane-change start and duration
    "lc_d0",  # (N,) m, lateral offset at the start
    "lc_origin",  # (N,) int, lane being left, or last left (-1: none yet)
    "man_state",  # (N, K) int: 0 waiting, 3 triggered and waiting for a safe gap, 1 running, 2 done
    "man_t0",  # (N, K) s, start time (running) or end time (done)
    "path_pos",  # (N,) m along the crossing path
    "cmd_buf",  # (N, REACT_BUF) m/s^2, commands awaiting the reaction delay
    "lead_gap", "lead_v",  # (N,) m, m/s: the leader found this step
    "d_hold",  # (N,) m, lateral offset kept on the lane (the initial one until a lane change)
    "stop_lane",  # (N,) int: the lane at whose stop line the agent last stopped, -1 none
    "stop_time",  # (N,) s: when it stopped there
    "noise",  # (N,) the acceleration noise's unit-variance process (kernels/behavior.py, ou_step)
    "noise_rng",  # (N,) uint64: each agent's random stream for it
    "wander",  # (N,) the lateral target's wander, a unit-variance process (kernels/behavior.py, ou_step)
    "wander_rng",  # (N,) uint64: each agent's random stream for it
])

Scratch = namedtuple("Scratch", [
    "order",  # (N,) int agents by (lane, s)
    "pos",  # (N,) int agents by x (collision sweep)
    "key",  # (N,) sort key
    "rank",  # (N,) int place of each agent in ``order``
    "lane_first", "lane_end",  # (L,) int each lane's range in ``order``
    "in_lane",  # (N,) bool occupies its lane
    "lc_list",  # (2 N,) int agents in a second lane (order.lane_order), then those starting a change this step
    "free_list",  # (N,) int off-lane agents
    "hx", "hy", "hh", "hv",  # (N, T) history of x, y (m), heading (rad), speed (m/s)
    "present",  # (N, T) bool: the agent was in the scene at that step of the history (replayed ones come and go)
    "lane_enter",  # (L,) s: when a vehicle last drove past the end of each lane
    "mot",  # (N, paths.N_MOT) each agent's predicted motion this step (kernels/paths.py)
    "ttc0", "tlim0",  # (N,) s: the ego's TTC to each agent this step, and below what it is exact
    "n_act",  # (1,) int: 1 + the scenario's last valid or replayed agent; the step's loops over agents stop there
    "lc_s", "lc_d",  # (N,) m: each lane changer's arc length and offset on the lane it leaves, this step
    "lc_dh",  # (N,) rad: its heading less that lane's there
    "lc_at",  # (N,) int: the step those were computed at (-1 never)
    "lc_other",  # (N,) int: the second lane a listed agent's body occupies (order.lane_order), -1 none
])

Tracks = namedtuple("Tracks", [
    "vis",  # (N,) visible fraction now
    "det",  # (N,) bool detected now
    "trk_on",  # (N,) bool live track
    "trk_x", "trk_y",  # (N,) m
    "trk_vx", "trk_vy",  # (N,) m/s
    "trk_seen",  # (N,) s last detection
    "known",  # (N,) bool, the ego knows of the agent
    "entered",  # (N,) bool, has entered the ego's lane corridor
    "vis_hist",  # (T, N) visible fraction per step
    "drop_hist",  # (T,) bool sensor delivered nothing
    "drop_ttc",  # (T,) s ego's smallest TTC that step (ground truth)
    "trk_h",  # (N,) rad, heading of each track (the detected box's)
    "trk_mot",  # (N, paths.N_MOT) the motion the ego predicts for each track (row 0: its own)
    # the road's shape for path predictions (kernels/paths.py; the metrics read them too)
    "lane_straight",  # (L,) bool: the lane is a straight line
    "lane_dir",  # (L, 2) cos and sin of the heading at each lane's start
    "kmax",  # (1,) 1/m: largest heading change per metre of any lane segment
    "occ",  # occlusion.OccScratch: the visibility sweep's work arrays (the sensor's static occluders in)
])


def alloc(N, K, L, T, occ_px, occ_py, occ_start, occ_count):
    """One thread's work arrays: (State, Scratch, Tracks); ``occ_*``: the sensor's static occluder
    polygons (:class:`Sensor`). Plain NumPy apart from the jitted ``occlusion_scratch`` (docs/performance.md)."""
    f8, i8, u8, b1 = np.float64, np.int64, np.uint64, np.bool_

    def e(shape, dt=f8):
        return np.empty(shape, dt)

    def z(shape, dt=f8):
        return np.zeros(shape, dt)

    st = State(
        e(N), e(N), e(N), e(N), e(N), e(N), e(N), e(N),
        e(N, i8), e(N), e(N, b1), e(N, i8), e(N, b1),
        e(N), e(N), e(N), e(N, i8), e((N, K), i8),
        e((N, K)), e(N), e((N, REACT_BUF)), e(N), e(N), e(N),
        e(N, i8), e(N), z(N), z(N, u8), z(N), z(N, u8),
    )
    sc = Scratch(
        e(N, i8), e(N, i8), e(N), z(N, i8), e(L, i8),
        e(L, i8), e(N, b1), z(2 * N, i8), z(N, i8),
        e((N, T)), e((N, T)), e((N, T)), e((N, T)), z((N, T), b1),
        e(L), z((N, N_MOT)), np.full(N, math.inf), z(N), np.full(1, N, i8),
        z(N), z(N), z(N), np.full(N, -1, i8), np.full(N, -1, i8),
    )
    tr = Tracks(
        z(N), z(N, b1), z(N, b1), z(N), z(N), z(N),
        z(N), z(N), z(N, b1), z(N, b1), z((T, N)),
        z(T, b1), np.full(T, math.inf), z(N), z((N, N_MOT)), z(L, b1),
        z((L, 2)), z(1),
        occlusion_scratch(N, occ_px, occ_py, occ_start, occ_count),
    )
    return st, sc, tr
