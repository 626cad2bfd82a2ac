"""The sampler interface, its registry, and counter-based random streams.

A sampler proposes parameter rows theta (n x d) for the simulator, stage after
stage, each with its log importance weight ``log p(theta) - log q(theta)``. The
rows of a stage are *addressable*: ``propose(n, stage, offset)`` returns rows
``offset .. offset + n - 1`` of the stage's stream, so a stage drawn in pieces
(shards on several machines) is bit-identical to the stage drawn at once.

Random numbers come from a counter-based hash (SplitMix64 finaliser) keyed by
(seed, sampler, stage, purpose) and indexed by (row, column): no generator state
is carried between calls, which is what makes rows addressable and
``state_dict`` small.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
from scipy import special

from ..data.files import jsonable  # noqa: F401  (re-exported: the samplers write their states with it)
from ..dsl.distributions import LogNormal, Normal, ParameterSpace
from ..errors import SamplerOptionsError
from .options import SamplerOptions

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_GOLDEN2 = 0xD1B54A32D192ED03
_U53 = 2.0 ** -53

# ------------------------------------------------------------------ random streams


def _mix_int(x: int) -> int:
    """SplitMix64 finaliser on a Python int (mod 2**64)."""
    x &= _M64
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _M64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _M64
    x ^= x >> 31
    return x


def _mix_arr(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser, elementwise on a uint64 array (wrapping arithmetic)."""
    x = np.array(x, dtype=np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def _salt(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def derive_key(*parts: int | str) -> int:
    """A 64-bit stream key from integers and strings (stable across runs and platforms)."""
    h = 0x243F6A8885A308D3
    for p in parts:
        v = _salt(p) if isinstance(p, str) else int(p) & _M64
        h = _mix_int(h ^ _mix_int((v + _GOLDEN) & _M64))
    return h


def stream_uniforms(key: int, offset: int, n: int, ncols: int) -> np.ndarray:
    """Uniforms in (0, 1), shape (n, ncols): rows ``offset .. offset + n - 1`` of stream ``key``.

    Element (i, j) depends only on (key, i, j), never on how rows are grouped
    into calls."""
    if n < 0 or offset < 0:
        raise ValueError("n and offset must be non-negative")
    rows = np.arange(offset, offset + n, dtype=np.uint64)
    cols = np.arange(1, ncols + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = _mix_arr(rows * np.uint64(_GOLDEN) + np.uint64(key))
        h = _mix_arr(h[:, None] + cols[None, :] * np.uint64(_GOLDEN2))
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) * _U53


# ------------------------------------------------------------- latent coordinates


def latent_to_theta(space: ParameterSpace, z: np.ndarray) -> np.ndarray:
    """Map standard-normal latents z (n x d) to theta with theta_j = F_j^{-1}(Phi(z_j)).

    If z ~ N(0, I) then theta ~ p (each column through its own inverse CDF), so a
    kernel that is reversible for N(0, I) in z is reversible for p in theta, for
    discrete parameters too. Untruncated normal and log-normal columns are mapped
    in closed form (exact far in the tails)."""
    z = np.atleast_2d(np.asarray(z, dtype=float))
    out = np.empty_like(z)
    for j, prm in enumerate(space.parameters):
        dist = prm.dist
        if isinstance(dist, Normal) and dist.low is None and dist.high is None:
            out[:, j] = dist.mean + dist.std * z[:, j]
        elif isinstance(dist, LogNormal):
            out[:, j] = np.exp(dist.mu + dist.sigma * z[:, j])
        else:
            u = np.where(z[:, j] < 0, special.ndtr(z[:, j]), -special.ndtr(-z[:, j]) + 1.0)
            out[:, j] = dist.ppf(np.clip(u, 1e-300, 1.0 - _U53))
    return out


# ------------------------------------------------------------------- JSON helpers


def encode_array(a: np.ndarray) -> list:
    """A float array as nested lists, non-finite values as the strings 'inf', '-inf', 'nan'."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        v = float(a)
        return v if math.isfinite(v) else repr(v)  # type: ignore[return-value]
    return [encode_array(x) for x in a] if a.ndim > 1 else [
        float(v) if math.isfinite(v) else repr(float(v)) for v in a]


def decode_array(x: Any) -> np.ndarray:
    def conv(v):
        if isinstance(v, list):
            return [conv(e) for e in v]
        return float(v)

    return np.asarray(conv(x), dtype=float)


def encode_float(v: float | None) -> float | str | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else repr(v)


def decode_float(v: Any) -> float | None:
    return None if v is None else float(v)


# ----------------------------------------------------------------------- proposal


@dataclass(frozen=True)
class Proposal:
    """Rows of one sampler stage.

    - ``theta``: (n, d) parameter rows to simulate.
    - ``log_weight``: (n,) ``log p(theta) - log q(theta)`` for importance samplers
      (0 for ``mc`` / ``qmc``); see :class:`~scenariogen.sampling.splitting.SplittingSampler`
      for its different meaning there.
    - ``stage``: the sampler stage that produced the rows.
    - ``level``: the CE level (robustness quantile) the proposal was fitted to, or
      the splitting level; None where there is none.
    - ``offset``: index of the first row within the stage's stream.
    """

    theta: np.ndarray
    log_weight: np.ndarray
    stage: int
    level: float | None = None
    offset: int = 0

    def __len__(self) -> int:
        return int(self.theta.shape[0])

    @property
    def n(self) -> int:
        return len(self)

    @staticmethod
    def concat(parts: list[Proposal]) -> Proposal:
        """Join the pieces of one stage (in any order) into one proposal; the pieces
        must be contiguous rows of the same stage."""
        if not parts:
            raise ValueError("no proposals to join")
        parts = sorted(parts, key=lambda p: p.offset)
        stage = parts[0].stage
        pos = parts[0].offset
        for p in parts:
            if p.stage != stage:
                raise ValueError(f"cannot join proposals of stages {stage} and {p.stage}")
            if p.offset != pos:
                raise ValueError(f"proposal pieces are not contiguous: expected offset {pos}, got {p.offset}")
            pos += len(p)
        return Proposal(
            theta=np.concatenate([p.theta for p in parts]),
            log_weight=np.concatenate([p.log_weight for p in parts]),
            stage=stage,
            level=parts[0].level,
            offset=parts[0].offset,
        )


# ------------------------------------------------------------------------ sampler


class Sampler:
    """Base class of the samplers: ``propose`` rows, simulate them, ``update`` with
    their robustness (negative iff the target event happened), repeat while
    ``adapting``; then keep proposing final rows.

    Subclasses set ``name`` and ``Options`` (a frozen :class:`SamplerOptions` dataclass, the
    option names and defaults) and implement ``propose``/``update``, :meth:`_reset` and the
    state hooks. Callers give options as keywords; the sampler holds them as ``config`` (its
    ``Options``) and shows them as the read-only dict ``options``. ``stage_size`` is None when
    a stage can hold any number of rows, else the number of rows the current stage has
    (splitting)."""

    name: ClassVar[str] = ""
    Options: ClassVar[type[SamplerOptions]] = SamplerOptions

    def __init__(self, space: ParameterSpace, seed: int = 0, **options: Any) -> None:
        if not isinstance(space, ParameterSpace):
            raise TypeError(f"space must be a ParameterSpace, got {type(space).__name__}")
        self.space = space
        self.seed = _check_seed(seed)
        self.config = self.Options.from_options(options, sampler=self.name)
        self._reset()

    @property
    def options(self) -> Mapping[str, Any]:
        """The options in effect (defaults and presets filled in), read-only."""
        return MappingProxyType(self.config.to_dict())

    # -- to override
    def _reset(self) -> None:
        """Set the state a fresh sampler has under ``config`` (also before ``load_state`` fills it in)."""

    @property
    def dim(self) -> int:
        return self.space.dim

    @property
    def stage_size(self) -> int | None:
        return None

    @property
    def adapting(self) -> bool:
        return False

    @property
    def estimable(self) -> bool:
        """Whether the rows proposed now count towards the probability estimate (by default
        once the sampler stopped adapting; ``ce`` also while it refines its final proposal)."""
        return not self.adapting

    def propose(self, n: int, stage: int, offset: int = 0) -> Proposal:  # pragma: no cover
        raise NotImplementedError

    def update(self, proposal: Proposal, robustness: np.ndarray) -> dict:
        """Take the robustness of a simulated stage; returns info (``level``, ``done``)."""
        return {"level": None, "done": True}

    def state_dict(self) -> dict:
        """JSON-serialisable state; ``load_state`` restores it exactly."""
        return {"name": self.name, "seed": self.seed, "options": self.config.to_dict(), "dim": self.dim}

    def load_state(self, d: dict) -> None:
        """Restore a ``state_dict``: its name, seed and options, then a fresh state (:meth:`_reset`)
        that subclasses fill in."""
        if d.get("name") != self.name:
            raise ValueError(f"state is for sampler {d.get('name')!r}, not {self.name!r}")
        if int(d.get("dim", self.dim)) != self.dim:
            raise ValueError(f"state is for a {d.get('dim')}-parameter space, this space has {self.dim}")
        self.seed = int(d["seed"])
        self.config = self.Options.from_state(d.get("options", {}), sampler=self.name)
        self._reset()

    # -- helpers
    @staticmethod
    def _check_request(n: int, stage: int, offset: int) -> None:
        if int(n) < 0 or int(offset) < 0 or int(stage) < 0:
            raise ValueError(f"n, stage and offset must be non-negative, got n={n}, stage={stage}, offset={offset}")

    def _key(self, stage: int, purpose: str = "rows") -> int:
        return derive_key(self.seed, self.name, purpose, int(stage))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(d={self.dim}, seed={self.seed}, adapting={self.adapting})"


def _check_seed(seed: int) -> int:
    """``seed`` as an int in [0, 2**64) (the stream keys are 64-bit)."""
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise SamplerOptionsError(f"seed must be an integer in [0, 2**64), got {seed}")
    return seed


def sanitize_robustness(robustness: np.ndarray, n: int | None = None) -> np.ndarray:
    """Robustness as float64 (n,), NaN read as +inf (no event)."""
    r = np.asarray(robustness, dtype=float).reshape(-1)
    if n is not None and r.shape[0] != n:
        raise ValueError(f"robustness has {r.shape[0]} values for a proposal of {n} rows")
    return np.where(np.isnan(r), np.inf, r)


# ----------------------------------------------------------------------- registry

_REGISTRY: dict[str, type[Sampler]] = {}
#: Read-only live view name -> sampler class; iterating it gives the names.
SAMPLERS: Mapping[str, type[Sampler]] = MappingProxyType(_REGISTRY)


def register_sampler(cls: type[Sampler]) -> type[Sampler]:
    """Class decorator: register a sampler under ``cls.name``; a duplicate name raises."""
    name = getattr(cls, "name", "")
    if not isinstance(name, str) or not name:
        raise ValueError(f"sampler class {cls.__name__} has no name")
    if name in _REGISTRY:
        raise ValueError(f"a sampler named {name!r} is already registered ({_REGISTRY[name].__name__})")
    _REGISTRY[name] = cls
    return cls


def load_builtin_samplers() -> None:
    """Register the built-in samplers (their modules register themselves when imported)."""
    from . import ce, mc, splitting  # noqa: F401


def sampler_names() -> tuple[str, ...]:
    load_builtin_samplers()
    return tuple(sorted(_REGISTRY))


def get_sampler(name: str, space: ParameterSpace, seed: int = 0, **options: Any) -> Sampler:
    """The sampler registered as ``name`` (``options``: its options as keywords); an unknown name or
    a bad option raises :class:`SamplerOptionsError` (for names, listing the valid ones)."""
    load_builtin_samplers()
    try:
        cls = _REGISTRY[name]
    except (KeyError, TypeError):
        raise SamplerOptionsError(f"unknown sampler {name!r}; valid samplers: {', '.join(sampler_names())}") from None
    return cls(space, seed, **options)
