"""Column layouts shared by the Numba kernels and the Python engine.

Kernels take a few 2-D/3-D float matrices whose columns are named here, so the
kernel signature stays short and both sides agree on the meaning of each
column. Plain module-level integers: Numba freezes them as constants.
"""

from __future__ import annotations

# ---- agent kinds (int8 codes) -------------------------------------------------
KIND_CODES = {"car": 0, "truck": 1, "bus": 2, "motorcycle": 3, "bicycle": 4, "pedestrian": 5}
KIND_NAMES = tuple(KIND_CODES)

# physical limits per kind code: max braking (m/s^2), max jerk (m/s^3), max steering (rad)
KIND_MAX_BRAKE = (9.0, 6.5, 6.5, 9.0, 4.0, 3.0)
KIND_MAX_JERK = (20.0, 12.0, 12.0, 20.0, 10.0, 10.0)
KIND_MAX_STEER = (0.6, 0.5, 0.5, 0.7, 0.8, 3.2)

# ---- behaviour models (int8) ---------------------------------------------------
MODEL_IDM = 0
MODEL_KEEP_LANE = 1
MODEL_CONSTANT = 2
MODEL_STOP = 3
MODEL_CODES = {"idm": MODEL_IDM, "keep_lane": MODEL_KEEP_LANE, "constant_speed": MODEL_CONSTANT, "stop": MODEL_STOP}

# ---- per-agent parameters: params[b, i, P_*] ------------------------------------
P_V0 = 0  # IDM desired speed, m/s
P_T = 1  # IDM time headway, s
P_S0 = 2  # IDM minimum gap, m
P_AMAX = 3  # IDM max acceleration, m/s^2
P_BCOMF = 4  # IDM comfortable deceleration, m/s^2 (positive)
P_DELTA = 5  # IDM exponent
P_REACT = 6  # reaction delay, whole steps
P_MOBIL = 7  # 1.0 if MOBIL lane changes are on
P_POLITE = 8  # MOBIL politeness
P_THRESH = 9  # MOBIL threshold, m/s^2
P_BSAFE = 10  # MOBIL safe deceleration, m/s^2
P_LCDUR = 11  # lane-change duration, s
P_STOPDEC = 12  # deceleration of the `stop` behaviour, m/s^2
P_ALAT = 13  # lateral acceleration the driver keeps in curves, m/s^2
P_TCRIT = 14  # critical gap accepted before entering a conflict area the driver yields at, s
P_TFOLLOW = 15  # follow-up time after the vehicle ahead in the queue entered, s
P_COOP = 16  # 1.0 if the driver lets a vehicle merge in from a lane that ends
P_TMERGE = 17  # time gap a driver merging from a lane that ends leaves its new follower, s
P_ANOISE = 18  # stationary std of the driver's acceleration noise, m/s^2 (0: none)
P_TNOISE = 19  # correlation time of the acceleration noise, s
P_LEAVE = 20  # 1.0: the agent leaves the scene once its body is past the end of a lane without successor
P_WSD = 21  # stationary sd of the lateral target's wander around the held offset, m (0: none)
P_WTAU = 22  # its time constant, s
N_PARAMS = 23

# ---- manoeuvres: man_type[i, k], man_trig[i, k], man_other[i, k], man_to[i, k], man_trig2[i, k],
# man_other2[i, k], man_combo[i, k], man_gap[i, k]; man_val[b, i, k, M_*]
MAN_NONE = 0
MAN_LANE_CHANGE = 1
MAN_HARD_BRAKE = 2
MAN_STOP = 3
MAN_CROSS = 4
MAN_OFFSET = 5
MAN_CODES = {"lane_change": MAN_LANE_CHANGE, "hard_brake": MAN_HARD_BRAKE, "stop": MAN_STOP, "cross": MAN_CROSS,
             "offset": MAN_OFFSET}
# man_to of a lane change to the lane on the actor's left or right when it starts (any other value: a lane)
LANE_TO_LEFT = -3
LANE_TO_RIGHT = -2
LANE_TO_SIDE = {"left": LANE_TO_LEFT, "right": LANE_TO_RIGHT}
TRIG_TIME = 0
TRIG_DISTANCE = 1
TRIG_TIME_GAP = 2
TRIG_AFTER = 3  # seconds after the previous manoeuvre of the actor finished
TRIG_NONE = -1  # no second condition
TRIG_CODES = {"time": TRIG_TIME, "distance": TRIG_DISTANCE, "time_gap": TRIG_TIME_GAP, "after_previous": TRIG_AFTER}
COMBO_ONE, COMBO_ANY, COMBO_ALL = 0, 1, 2
M_TRIG = 0  # trigger value: time (s), distance (m), time gap (s) or delay (s)
M_DUR = 1  # duration, s
M_DECEL = 2  # deceleration, m/s^2
M_SPEED = 3  # crossing speed, m/s
M_TRIG2 = 4  # the second condition's value
M_TIMEOUT = 5  # s: the manoeuvre starts by then whatever its conditions (inf: never)
M_OFFSET = 6  # m, target lateral offset of an offset manoeuvre (left positive)
M_GAP = 7  # gap check: 0 none; a lane change: 1; an offset: the seconds the oncoming lane must be free
N_MAN_VALUES = 8

# ---- trajectory features: traj[b, i, t, F_*] ------------------------------------
F_X = 0  # m, world
F_Y = 1  # m, world
F_HEADING = 2  # rad, world, counter-clockwise from +x
F_SPEED = 3  # m/s
F_ACCEL = 4  # m/s^2, applied longitudinal acceleration
F_LANE = 5  # lane index (-1 off the lane graph)
F_S = 6  # m, arc length on that lane
F_OFFSET = 7  # m, lateral offset from the lane centre (left positive)
FEATURES = ("x", "y", "heading", "speed", "accel", "lane", "s", "offset")
N_FEATURES = 8

# ---- ego sensor and AEB: sensor[b, E_*] -------------------------------------------
E_ON = 0  # 1.0 if the ego has a sensor (else it perceives ground truth)
E_RANGE = 1  # m
E_FOV = 2  # rad, full opening angle
E_MOUNT_X = 3  # m, forward of the ego's centre
E_MOUNT_Y = 4  # m, left of the ego's centre
E_POS_NOISE = 5  # m, std of position noise per axis
E_SPEED_NOISE = 6  # m/s, std of speed noise
E_DROP_MODEL = 7  # 0 none, 1 Gilbert-Elliott, 2 independent
E_P_ENTER = 8  # per-step probability good -> lost
E_P_EXIT = 9  # per-step probability lost -> good
E_P_LOSS = 10  # per-step loss probability (independent model)
E_LATENCY = 11  # whole steps
E_THRESHOLD = 12  # visible fraction above which a target counts as visible
E_MEMORY = 13  # s, how long a vanished track is coasted
E_AEB_ON = 14  # 1.0 if the ego has automatic emergency braking
E_AEB_TTC = 15  # s, perceived TTC that triggers it
E_AEB_REACT = 16  # whole steps between trigger and braking
E_AEB_DECEL = 17  # m/s^2
E_FIRST_START = 18  # Gilbert-Elliott, first burst sampled: p-quantile in (0, 1) of its start step; -1 drawn by the chain
E_FIRST_LEN = 19  # the same for its length in steps
N_SENSOR = 20
DROP_NONE = 0
DROP_GE = 1
DROP_INDEPENDENT = 2
THREAT_TTC = 3.0  # s, an agent with a TTC to the ego below this counts as a threat
TTC_HORIZON = 10.0  # s, TTC beyond this counts as no conflict

# ---- per-scenario metrics: metrics[b, S_*] --------------------------------------
S_MIN_TTC = 0  # s, min TTC of the ego against any agent along their predicted paths (inf if none)
S_MIN_DIST = 1  # m, min box distance of the ego to any agent
S_TET = 2  # s, time the ego spends with TTC below the near-miss threshold
S_MAX_DRAC = 3  # m/s^2, max deceleration rate to avoid a crash, ego following its leader
S_MIN_THW = 4  # s, min time headway of the ego to its leader
S_EGO_MAX_DECEL = 5  # m/s^2 (positive)
S_EGO_MAX_JERK = 6  # m/s^3, max |jerk|
S_COLL_TIME = 7  # s, first collision between any two agents (inf if none)
S_COLL_A = 8  # agent index of that collision (-1 if none)
S_COLL_B = 9
S_EGO_COLL_TIME = 10  # s, first collision involving the ego (inf if none)
S_MIN_PET = 11  # s, min post-encroachment time of the ego against crossing agents (inf if none)
S_DROP_COUNT = 12  # number of sensor dropout bursts
S_DROP_LONGEST = 13  # s, longest dropout burst
S_DROP_CRITICAL = 14  # 1.0 if a burst overlapped a step with ego TTC below the near-miss threshold
S_DROP_THREAT_LONGEST = 15  # s, longest burst while a threat (TTC < THREAT_TTC) was present
S_AEB_TIME = 16  # s, when the AEB first triggered (inf if never)
METRIC_NAMES = (
    "min_ttc", "min_distance", "tet", "max_drac", "min_thw", "ego_max_decel", "ego_max_jerk",
    "collision_time", "collision_a", "collision_b", "ego_collision_time", "min_pet",
    "dropout_count", "dropout_longest", "dropout_critical", "dropout_threat_longest", "aeb_time",
)  # fmt: skip
N_METRICS = 17

# ---- per-agent metrics: agent_metrics[b, i, A_*] --------------------------------
A_MIN_TTC = 0  # s, min TTC between the ego and this agent along their predicted paths (kernels/paths.py)
A_MIN_DIST = 1  # m, min box distance between the ego and this agent
A_MAX_DECEL = 2  # m/s^2, this agent's largest deceleration
A_PET = 3  # s, post-encroachment time between the ego and this agent
A_COLL_TIME = 4  # s, when this agent first collided (inf if never)
A_OCC_TOTAL = 5  # s, time hidden from the ego sensor (in range, visible fraction below threshold) before closest approach
A_OCC_LONGEST = 6  # s, longest such stretch
A_OCC_AT_ENTRY = 7  # 1.0 if hidden when it first entered the ego's lane corridor ahead, 0.0 if seen, nan if never entered
A_T_MIN_DIST = 8  # s, time of the closest approach to the ego
A_MIN_GAP = 9  # m, min box distance between this named actor and any other agent (nan for the ego and traffic)
A_MIN_TTC_ANY = 10  # s, min path TTC between this named actor and any other agent (same; inf beyond the horizon)
A_T_MIN_TTC = 11  # s, when A_MIN_TTC was first reached (inf if it never was finite)
AGENT_METRIC_NAMES = ("min_ttc", "min_distance", "max_decel", "pet", "collision_time", "occluded_total",
                      "occluded_longest", "occluded_at_entry", "time_of_closest_approach", "min_gap_any", "min_ttc_any",
                      "time_of_min_ttc")
N_AGENT_METRICS = 12

# ---- scenario descriptors: D[b, D_*] (definitions in scenariogen.coverage.descriptors) ----
DESCRIPTOR_NAMES = (
    "min_ttc", "min_thw", "min_distance", "ego_max_decel", "ego_max_lat_accel", "rel_speed_at_closest",
    "min_pet", "max_drac", "n_agents_30m", "ego_speed_mean", "ego_speed_std", "ego_speed_max",
    "occluded_threat_longest",
)
(D_MIN_TTC, D_MIN_THW, D_MIN_DIST, D_MAX_DECEL, D_MAX_LAT, D_REL_SPEED, D_MIN_PET, D_MAX_DRAC, D_NEAR,
 D_V_MEAN, D_V_STD, D_V_MAX, D_OCC) = range(13)
N_DESCRIPTORS = 13
# the descriptors of typical traffic (speeds, spacing, density, braking): what `calibrate` matches and
# the coverage report's typical-traffic block scores; the others describe the rare events a family enriches
TYPICAL_DESCRIPTORS = ("ego_speed_mean", "ego_speed_std", "n_agents_30m", "min_thw", "min_distance", "ego_max_decel")
