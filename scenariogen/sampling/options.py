"""The samplers' options: frozen, typed dataclasses built from the option dict a caller gives.

Callers keep passing options as keywords (``get_sampler("ce", space, seed, eps=0.2)``; ``generate``
stores the user's dict as given, since it enters the run's content hash). A sampler turns that
dict into its ``Options`` with :meth:`SamplerOptions.from_options`: unknown names are refused,
numbers are read by the type of their default (an integer option must be a whole number, every
number finite), presets are expanded (``ce``), and :meth:`SamplerOptions.validate` checks the
ranges. Every problem raises :class:`~scenariogen.errors.SamplerOptionsError` naming the option.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from ..errors import SamplerOptionsError

#: option sets named by the ``ce`` option ``preset``, under the options given beside it:
#: ``estimate`` (the defaults, tuned for honest intervals) and ``diverse`` (a rare set that keeps the
#: kinds of failure no level leads to, through the exploring and novelty components; docs/sampling.md)
PRESETS: dict[str, dict[str, float]] = {
    "estimate": {},
    "diverse": {"eps": 0.2, "explore": 0.2, "keep": 0.0, "novelty": 0.2},
}


@dataclass(frozen=True)
class SamplerOptions:
    """Base of the samplers' options (none of its own: ``mc``, ``qmc``).

    Subclasses are frozen dataclasses whose fields are the options, each with its default, and
    set ``SAMPLER`` (the sampler's name, for messages) and :meth:`_rules`. Constructing one
    coerces and validates it, so every instance is a valid option set."""

    SAMPLER: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, self._coerce(f.name, getattr(self, f.name)))
        self.validate()

    # ------------------------------------------------------------------ building
    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Option name -> default, in declaration order."""
        return {f.name: f.default for f in fields(cls)}

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None = None, *, sampler: str | None = None):
        """The options from a caller's dict (missing ones at their defaults); ``sampler`` names the
        sampler in the unknown-option message (default: ``SAMPLER``)."""
        return cls._build(cls._expand(dict(options or {})), sampler)

    @classmethod
    def from_state(cls, options: Mapping[str, Any] | None = None, *, sampler: str | None = None):
        """The options stored in a sampler state (complete, presets already expanded)."""
        return cls._build(dict(options or {}), sampler)

    @classmethod
    def _expand(cls, options: dict[str, Any]) -> dict[str, Any]:
        """Hook: the options with named sets (presets) expanded under the ones given."""
        return options

    @classmethod
    def _build(cls, options: dict[str, Any], sampler: str | None):
        defaults = cls.defaults()
        unknown = sorted(set(options) - set(defaults))
        if unknown:
            valid = ", ".join(sorted(defaults)) or "none"
            raise SamplerOptionsError(f"unknown option(s) {', '.join(map(repr, unknown))} for sampler "
                                      f"{sampler or cls.SAMPLER!r}; valid options: {valid}")
        # coerced in the order given, so the first bad one given is the one reported
        return cls(**{**defaults, **{k: cls._coerce(k, v) for k, v in options.items()}})

    @classmethod
    def _coerce(cls, name: str, value: Any) -> Any:
        """``value`` read by the type of the option's default: bool, int (whole numbers only),
        float (finite only); text options as given (``validate`` checks them)."""
        default = cls.defaults()[name]
        if isinstance(default, bool):
            return bool(value)
        if not isinstance(default, (int, float)):
            return value
        kind = "an integer" if isinstance(default, int) else "a finite number"
        try:
            x = float(value)
        except (TypeError, ValueError, OverflowError):
            x = math.nan
        if not math.isfinite(x) or (isinstance(default, int) and x != int(x)):
            raise SamplerOptionsError(f"option {name!r} of sampler {cls.SAMPLER!r} must be {kind}, got {value!r}")
        return int(x) if isinstance(default, int) else x

    # ---------------------------------------------------------------- checking
    def validate(self) -> None:
        """Raise :class:`SamplerOptionsError` naming the first option out of its range (or in
        conflict with another), in the order of :meth:`_rules`."""
        for name, ok, requirement in self._rules():
            if not ok:
                raise SamplerOptionsError(f"{self.SAMPLER} option {name} {requirement}")

    def _rules(self) -> Iterable[tuple[str, bool, str]]:
        """(option, whether it is fine, what it must be) for every check."""
        return ()

    def to_dict(self) -> dict[str, Any]:
        """Option name -> value, in declaration order (the ``options`` of a sampler state)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class CEOptions(SamplerOptions):
    """Options of the cross-entropy sampler (``ce``); docs/sampling.md explains each with its
    measurements. Shares are fractions of the final mixture, floors and widths are in units of
    p's own latent standard deviation (1), counts are stages or samples.

    The final mixture is ``(1 - eps - keep - novelty - explore) q + keep q_1 + novelty q_n +
    explore q_e + eps p``, so every weight p/q_mix stays below 1/eps."""

    SAMPLER: ClassVar[str] = "ce"

    rho: float = 0.1             #: elite quantile of each level, in (0, 1)
    alpha: float = 0.7           #: smoothing of each refit towards the elites' fit, in (0, 1]
    eps: float = 0.1             #: share of p in final proposals, in [0, 1)
    std_floor: float = 0.05      #: product family: smallest std, a fraction of p's scale
    max_stages: int = 25         #: adaptation stages at most
    widen: float = 1.4           #: std factor of final proposals (latent normal: up to p's spread), >= 1
    adapt_widen: float = 1.5     #: std factor of adaptation proposals, >= 1
    cat_floor: float = 0.1       #: categoricals: share of a defensive base (half p, half uniform), in [0, 1)
    family: str = "gaussian"     #: 'gaussian' (one latent normal), 'mixture' or 'product'
    latent_floor: float = 0.3    #: smallest principal std of a latent normal, in (0, 1]
    adapt_floor: float = 0.0     #: the same while adapting only (0 = off), in [0, 1]
    components: int = 3          #: family='mixture': components at most, 1..8
    min_component: float = 0.05  #: family='mixture': smallest weight of a kept component, in (0, 0.5)
    select: str = "bic"          #: family='mixture': number of components by 'bic', or 'max'
    keep: float = 0.2            #: share of the first level's proposal q_1 in final proposals, in [0, 1 - eps)
    shrink: float = 0.3          #: refit prior, effective samples per fitted number (0 = off), in [0, 100]
    cat_shrink: float = 1.0      #: the same for categoricals, in [0, 100]
    refine: int = 10             #: refining stages at most after the level reaches the event, 0..1000
    refine_ess: float = 200.0    #: refining stops once the pooled events' Kish size reaches this
    novelty: float = 0.0         #: share of the novelty component q_n (0 = off; family='gaussian')
    novel_ratio: float = 0.1     #: an event is novel where q and q_1 put less than this of p's density, in (0, 1]
    explore: float = 0.0         #: share of the exploring component q_e (0 = off; family='gaussian')
    explore_width: float = 1.5   #: std of q_e's latents, in [1, 2]
    preset: str = "estimate"     #: a named option set of PRESETS, under the options given beside it

    @classmethod
    def _expand(cls, options: dict[str, Any]) -> dict[str, Any]:
        preset = options.get("preset", "estimate")
        # an unknown preset adds nothing here and is refused by validate
        return {**(PRESETS.get(preset, {}) if isinstance(preset, str) else {}), **options}

    def _rules(self) -> Iterable[tuple[str, bool, str]]:
        eps, keep, nov = self.eps, self.keep, self.novelty
        return (
            ("preset", self.preset in tuple(PRESETS),
             f"must be one of {', '.join(map(repr, PRESETS))}, got {self.preset!r}"),
            ("rho", 0.0 < self.rho < 1.0, f"must be in (0, 1), got {self.rho}"),
            ("alpha", 0.0 < self.alpha <= 1.0, f"must be in (0, 1], got {self.alpha}"),
            ("eps", 0.0 <= eps < 1.0, f"must be in [0, 1), got {eps}"),
            ("shrink", 0.0 <= self.shrink <= 100.0, f"must be in [0, 100], got {self.shrink}"),
            ("cat_shrink", 0.0 <= self.cat_shrink <= 100.0, f"must be in [0, 100], got {self.cat_shrink}"),
            ("keep", 0.0 <= keep < 1.0 - eps, f"must be in [0, 1 - eps), got {keep}"),
            ("novelty", 0.0 <= nov < 1.0 - eps - keep, f"must be in [0, 1 - eps - keep), got {nov}"),
            ("novelty", not (nov > 0.0 and self.family != "gaussian"),
             f"needs family=gaussian, got family={self.family!r}"),
            ("explore", 0.0 <= self.explore < 1.0 - eps - keep - nov,
             f"must be in [0, 1 - eps - keep - novelty), got {self.explore}"),
            ("explore", not (self.explore > 0.0 and self.family != "gaussian"),
             f"needs family=gaussian, got family={self.family!r}"),
            ("explore_width", 1.0 <= self.explore_width <= 2.0, f"must be in [1, 2], got {self.explore_width}"),
            ("novel_ratio", 0.0 < self.novel_ratio <= 1.0, f"must be in (0, 1], got {self.novel_ratio}"),
            ("std_floor", self.std_floor > 0.0, f"must be positive, got {self.std_floor}"),
            ("widen", self.widen >= 1.0, f"must be at least 1, got {self.widen}"),
            ("adapt_widen", self.adapt_widen >= 1.0, f"must be at least 1, got {self.adapt_widen}"),
            ("cat_floor", 0.0 <= self.cat_floor < 1.0, f"must be in [0, 1), got {self.cat_floor}"),
            ("max_stages", self.max_stages >= 1, f"must be at least 1, got {self.max_stages}"),
            ("latent_floor", 0.0 < self.latent_floor <= 1.0, f"must be in (0, 1], got {self.latent_floor}"),
            ("adapt_floor", 0.0 <= self.adapt_floor <= 1.0, f"must be in [0, 1], got {self.adapt_floor}"),
            ("family", self.family in ("gaussian", "mixture", "product"),
             f"must be 'gaussian', 'mixture' or 'product', got {self.family!r}"),
            ("refine", 0 <= self.refine <= 1000, f"must be in 0..1000, got {self.refine}"),
            ("refine_ess", self.refine_ess > 0.0, f"must be positive, got {self.refine_ess}"),
            ("components", 1 <= self.components <= 8, f"must be in 1..8, got {self.components}"),
            ("select", self.select in ("bic", "max"), f"must be 'bic' or 'max', got {self.select!r}"),
            ("min_component", 0.0 < self.min_component < 0.5, f"must be in (0, 0.5), got {self.min_component}"),
        )


@dataclass(frozen=True)
class SplittingOptions(SamplerOptions):
    """Options of adaptive multilevel splitting (``splitting``)."""

    SAMPLER: ClassVar[str] = "splitting"

    n_particles: int = 1000      #: N, particles (and rows of the first stage), at least 2
    kill_fraction: float = 0.1   #: k / N, particles renewed per level, in (0, 1)
    mcmc_steps: int = 5          #: Crank-Nicolson moves per level, at least 1
    beta: float = 0.5            #: initial Crank-Nicolson step (latent units), in (0, 1]
    target_accept: float = 0.3   #: acceptance rate the step adapts towards, in (0, 1)
    max_levels: int = 10000      #: levels at most

    def _rules(self) -> Iterable[tuple[str, bool, str]]:
        return (
            ("n_particles", self.n_particles >= 2, f"must be at least 2, got {self.n_particles}"),
            ("kill_fraction", 0.0 < self.kill_fraction < 1.0, f"must be in (0, 1), got {self.kill_fraction}"),
            ("mcmc_steps", self.mcmc_steps >= 1, f"must be at least 1, got {self.mcmc_steps}"),
            ("beta", 0.0 < self.beta <= 1.0, f"must be in (0, 1], got {self.beta}"),
            ("target_accept", 0.0 < self.target_accept < 1.0, f"must be in (0, 1), got {self.target_accept}"),
            ("max_levels", self.max_levels >= 1, f"must be at least 1, got {self.max_levels}"),
        )


__all__ = ["PRESETS", "CEOptions", "SamplerOptions", "SplittingOptions"]
