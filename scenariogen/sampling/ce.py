"""Cross-entropy adaptive importance sampling (``ce``): the sampler.

The proposal q has two independent parts: the continuous parameters get a full-covariance
normal on their standard-normal latents (:mod:`~scenariogen.sampling.latent`; ``family='gaussian'``,
the default), a mixture of such normals (``'mixture'``, :mod:`~scenariogen.sampling.mixture`) or
one truncated normal each (``'product'``); the discrete parameters get categoricals
(:mod:`~scenariogen.sampling.families`).

Stage 0 draws from p. After each stage the level is ``gamma = max(rho-quantile of robustness, 0)``;
the elites (robustness <= gamma, or the events once gamma = 0; when gamma sits on a plateau of
ties holding over twice the rho share, the draws strictly below it) refit q by weighted maximum
likelihood with the stage's likelihood ratios w = p/q as weights, smoothed towards the previous
fit (``alpha``, shrunk when the elites' Kish size is small), principal latent stds floored at
``latent_floor``. Once gamma reaches 0, up to ``refine`` *refining stages* are drawn from the
final mixture (so they count for the estimate, each row weighted by its own stage's proposal:
unbiased, since a stage's q depends only on earlier rows) and refit q on a growing pool of events.
Final proposals come from the defensive mixture

    q_mix = (1 - eps - keep - nov - exp) q + keep q_1 + nov q_n + exp q_e + eps p

with q_1 the first level's fit, q_n the *novelty component* (fitted on the events where q and
q_1 put less than ``novel_ratio`` of p's density), q_e the *exploring component* (p's latents
widened to N(0, explore_width^2 I)); ``log_weight = log p - log q_mix`` exactly, at most
log(1/eps). Options: :class:`~scenariogen.sampling.options.CEOptions`; what each part is for,
with its measurements: docs/sampling.md.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import special

from .base import (
    Proposal,
    Sampler,
    decode_float,
    encode_float,
    register_sampler,
    sanitize_robustness,
    stream_uniforms,
)
from .families import _family_for, _floor_cov, _LatentGaussian
from .latent import _is_continuous, _LatentMap
from .mixture import _LatentMixture
from .options import PRESETS, CEOptions
from .weights import kish_ess

#: smallest principal std of the novelty component (latent units): one event makes a
#: component of this width around it
NOVEL_FLOOR = 0.5
MIN_BELOW_PLATEAU = 20  # draws strictly below a tied quantile level needed to fit on them alone


class _EventPool:
    """Weighted sums of the events drawn from final proposals, each weighted by its own
    likelihood ratio p/q_mix (an unbiased weighting of p(theta | event) whatever proposal drew
    it): refining stages refit q on them, and since the sums only add up, the state stays
    small however many events the pool holds."""

    def __init__(self, k: int, families: list):
        self.sw = self.sw2 = 0.0
        self.lat = (0.0, np.zeros(k), np.zeros((k, k)))
        self.fams = [np.zeros_like(f.stats(np.zeros(0), np.zeros(0))) for f in families]

    @property
    def ess(self) -> float:
        """Kish effective size of the pooled events."""
        return kish_ess(sum_w=self.sw, sum_w2=self.sw2)

    def add(self, sampler: CrossEntropySampler, theta: np.ndarray, w: np.ndarray) -> None:
        ok = np.isfinite(w) & (w > 0)
        theta, w = theta[ok], w[ok]
        self.sw += float(w.sum())
        self.sw2 += float(np.dot(w, w))
        if sampler._cont:
            st = sampler.gauss.stats(sampler.gauss.to_latent(theta[:, sampler._cont]), w)
            self.lat = tuple(a + b for a, b in zip(self.lat, st))
        if self.fams:  # a pool made without families (the novelty pool) keeps the latents only
            for i, (j, fam) in enumerate(zip(sampler._prod, sampler.families)):
                self.fams[i] = self.fams[i] + fam.stats(theta[:, j], w)

    def refit(self, sampler: CrossEntropySampler) -> None:
        """Move q (all of it: the step sizes come from the pool's effective size) towards the fit."""
        if not self.sw > 0:
            return
        o = sampler.config
        if sampler._cont:
            sampler.gauss.refit_stats(self.lat, self.ess, 1.0, o.shrink)
        for st, fam in zip(self.fams, sampler.families):
            fam.refit_stats(st, self.ess, 1.0, o.cat_shrink if fam.kind == "categorical" else o.shrink)

    def get(self) -> dict:
        return {"sw": self.sw, "sw2": self.sw2, "lat": [self.lat[0], self.lat[1].tolist(), self.lat[2].tolist()],
                "fams": [f.tolist() for f in self.fams]}

    def set(self, d: dict) -> None:
        self.sw, self.sw2 = float(d["sw"]), float(d["sw2"])
        k = self.lat[1].shape[0]
        self.lat = (float(d["lat"][0]), np.asarray(d["lat"][1], dtype=float).reshape(k),
                    np.asarray(d["lat"][2], dtype=float).reshape(k, k))
        self.fams = [np.asarray(f, dtype=float) for f in d["fams"]]


# -------------------------------------------------------------------------- sampler


@register_sampler
class CrossEntropySampler(Sampler):
    """Cross-entropy adaptive importance sampling (latent full-covariance normal for the
    continuous parameters, categoricals for the discrete ones; see the module docstring).
    Options as keywords, held as :class:`~scenariogen.sampling.options.CEOptions` in ``config``.

    Stage semantics: while ``adapting``, ``propose`` draws from p (before the
    first update) or from the current q, with ``log_weight = log p - log q``;
    ``update(proposal, robustness)`` takes the *whole* stage (join pieces with
    :meth:`Proposal.concat`), computes the level and refits q. While ``refining``
    (still ``adapting``, but ``estimable``), ``propose`` draws from the final
    mixture ``(1 - eps - keep - nov - exp) q + keep q_1 + nov q_n + exp q_e + eps p`` and ``update`` refits q on
    the pooled events (and, with ``novelty``, the novelty component q_n on the novel ones:
    then the sampler refines until the run ends); once not adapting, the mixture is fixed
    and ``update`` changes nothing. Rows of any stage are addressable by
    (seed, stage, offset)."""

    name = "ce"
    Options = CEOptions
    config: CEOptions

    def _reset(self) -> None:
        params = self.space.parameters
        if self.config.family in ("gaussian", "mixture"):
            self._cont = [j for j, p in enumerate(params) if _is_continuous(p.dist)]
        else:
            self._cont = []
        self._prod = [j for j in range(len(params)) if j not in self._cont]
        maps = [_LatentMap(params[j].dist) for j in self._cont]
        if self.config.family == "mixture":
            self.gauss = _LatentMixture(maps, self.config.latent_floor, self.config.components,
                                        self.config.min_component, self.config.select)
        else:
            self.gauss = _LatentGaussian(maps, self.config.latent_floor)
        self.families = [_family_for(params[j].dist, self.config.std_floor, self.config.cat_floor)
                         for j in self._prod]
        self.anchor: tuple | None = None  # the first-level proposal (latent block, families), kept
        self.pool = _EventPool(self.gauss.k if self._cont else 0, self.families)
        # the events the adapted proposals under-sample, and the component fitted on them
        self.novel_pool = _EventPool(self.gauss.k if self._cont else 0, [])
        self.novel: _LatentGaussian | None = None
        self.n_novel = 0
        # the exploring component: p's latents widened to N(0, explore_width^2 I)
        self.explorer = _LatentGaussian(maps, 0.0)
        self.explorer.cov = np.eye(len(maps)) * float(self.config.explore_width) ** 2
        self.n_refined = 0
        self.refining = False
        self.refitting = False  # refining stages still refit q (else they only watch for novel events)
        self.n_updates = 0
        self._adapting = True
        self.converged = False
        self.level: float | None = None
        self.history: list[dict] = []

    @property
    def adapting(self) -> bool:
        return self._adapting

    @property
    def estimable(self) -> bool:
        """Whether proposals come from the final mixture (refining or done): their weights
        estimate P(event) without bias, whatever later refits do."""
        return self.refining or not self._adapting

    def finalize(self) -> None:
        """Stop adapting now (e.g. when the adaptation budget is spent): later
        proposals come from the mixture around the current q (still unbiased)."""
        self._adapting = False
        self.refining = False

    # ------------------------------------------------------------------ densities
    def _factor(self, final: bool) -> float:
        return float(self.config.widen if final else self.config.adapt_widen)

    def _floor(self, final: bool) -> float:
        return 0.0 if final else float(self.config.adapt_floor)

    def _current(self, final: bool | None = None, families: list | None = None) -> list:
        """The product families (discrete parameters; all parameters with ``family='product'``)
        of q (or of ``families``), widened for final or adaptation proposals."""
        final = self.estimable if final is None else final
        families = self.families if families is None else families
        factor = self._factor(final)
        if factor != 1.0:
            return [f.widened(factor) for f in families]
        return families

    def _log_ratio(self, theta: np.ndarray, final: bool, z: np.ndarray | None = None,
                   q: tuple | None = None) -> np.ndarray:
        """log p(theta) - log q(theta) of the unmixed q (or of ``q`` = (latent block, families),
        e.g. the kept first-level proposal); ``z``: the latents of the Gaussian block when known
        (exact even where theta rounds onto a bound)."""
        gauss, families = (self.gauss, self.families) if q is None else q
        out = np.zeros(theta.shape[0])
        if self._cont:
            if z is None:
                z = gauss.to_latent(theta[:, self._cont])
            out += gauss.log_ratio(z, self._factor(final), self._floor(final))
        params = self.space.parameters
        for j, fam in zip(self._prod, self._current(final, families)):
            lp = params[j].dist.logpdf(theta[:, j])
            lq = fam.logpdf(theta[:, j])
            with np.errstate(invalid="ignore"):
                out += np.where(np.isneginf(lq), np.inf, lp - lq)
        return out

    def log_q(self, theta: np.ndarray, final: bool | None = None) -> np.ndarray:
        """log q(theta) of the proposal (without the mixture); ``final``
        (default: not adapting) selects the widened final q."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        final = self.estimable if final is None else final
        return self.space.logpdf(theta) - self._log_ratio(theta, final)

    def _shares(self) -> tuple[float, float, float, float]:
        """(eps, keep, novelty, explore): the final mixture's shares of p, of the kept first-level
        proposal, of the novelty component (each 0 until there is one) and of the exploring one."""
        return (float(self.config.eps), float(self.config.keep) if self.anchor is not None else 0.0,
                float(self.config.novelty) if self.novel is not None else 0.0, float(self.config.explore))

    def _adapted_terms(self, theta: np.ndarray, z: np.ndarray | None, lr: np.ndarray | None) -> list:
        """log(share * q/p) of the adapted parts of the final mixture: q and the kept q_1."""
        eps, keep, nov, exp = self._shares()
        if lr is None:
            lr = self._log_ratio(theta, True, z)
        terms = [math.log1p(-eps - keep - nov - exp) - lr]
        if keep > 0.0:
            terms.append(math.log(keep) - self._log_ratio(theta, True, z, q=self.anchor))
        return terms

    def _final_log_weight(self, theta: np.ndarray, z: np.ndarray | None = None,
                          lr: np.ndarray | None = None) -> np.ndarray:
        """log p - log q_mix of the final mixture ``(1 - eps - keep - nov - exp) q + keep q_1 + nov q_n
        + exp q_e + eps p``: ``-log(... q/p + keep q_1/p + nov q_n/p + exp q_e/p + eps)``; ``lr``:
        log p - log q when known."""
        eps, _, nov, exp = self._shares()
        if self._cont and z is None and (nov > 0.0 or exp > 0.0):
            z = self.gauss.to_latent(theta[:, self._cont])
        terms = self._adapted_terms(theta, z, lr)
        if nov > 0.0:
            terms.append(math.log(nov) - self.novel.log_ratio(z, 1.0))
        if exp > 0.0:
            terms.append(math.log(exp) - (self.explorer.log_ratio(z, 1.0) if self._cont
                                               else np.zeros(theta.shape[0])))
        if eps > 0.0:
            terms.append(np.full(theta.shape[0], math.log(eps)))
        return -special.logsumexp(np.stack(terms), axis=0) if len(terms) > 1 else -terms[0]

    def log_q_mix(self, theta: np.ndarray) -> np.ndarray:
        """log of the final proposal ``(1 - eps - keep - nov - exp) q + keep q_1 + nov q_n + exp q_e + eps p``."""
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        return self.space.logpdf(theta) - self._final_log_weight(theta)

    def _from_q(self, u: np.ndarray, final: bool = False, uc: np.ndarray | None = None,
                q: tuple | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Rows from q (or from ``q`` = (latent block, families)) for uniforms u (n, d):
        (theta, log p - log q, the latents of the Gaussian block); ``uc`` (n,): the uniform
        that picks each row's mixture component (``family='mixture'``)."""
        gauss, families = (self.gauss, self.families) if q is None else q
        theta = np.empty_like(u)
        z = None
        if self._cont:
            if isinstance(gauss, _LatentMixture):
                z = gauss.sample_latent(u[:, self._cont], self._factor(final), self._floor(final), uc)
            else:
                z = gauss.sample_latent(u[:, self._cont], self._factor(final), self._floor(final))
            theta[:, self._cont] = gauss.to_theta(z)
        for j, fam in zip(self._prod, self._current(final, families)):
            theta[:, j] = fam.ppf(u[:, j])
        return theta, self._log_ratio(theta, final, z, q), z

    # ------------------------------------------------------------------- protocol
    def propose(self, n: int, stage: int, offset: int = 0) -> Proposal:
        self._check_request(n, stage, offset)
        n, offset, d = int(n), int(offset), self.dim
        u = stream_uniforms(self._key(stage), offset, n, d + 1)
        if d == 0:
            return Proposal(np.zeros((n, 0)), np.zeros(n), int(stage), self.level, offset)
        if self._adapting and self.n_updates == 0:
            theta = self.space.from_unit(u[:, :d])
            return Proposal(theta, np.zeros(n), int(stage), None, offset)
        if self._adapting and not self.refining:
            theta, lw, _ = self._from_q(u[:, :d], final=False, uc=u[:, d])
            return Proposal(theta, lw, int(stage), self.level, offset)
        # the last column picks the final mixture's part: p below eps, the exploring component up
        # to eps + exp, the kept first-level proposal up to eps + exp + keep, the novelty component
        # up to eps + exp + keep + nov, q above; rescaled to [0, 1) it picks a mixture component
        eps, keep, nov, exp = self._shares()
        c = u[:, d]
        theta = np.empty((n, d))
        lw = np.empty(n)
        cuts = np.cumsum([eps, exp, keep, nov])
        from_p = c < cuts[0]
        from_e = (c >= cuts[0]) & (c < cuts[1])
        from_a = (c >= cuts[1]) & (c < cuts[2])
        from_n = (c >= cuts[2]) & (c < cuts[3])
        from_q = c >= cuts[3]
        if from_p.any():
            theta[from_p] = self.space.from_unit(u[from_p, :d])
            lw[from_p] = self._final_log_weight(theta[from_p])
        for rows, part in ((from_e, self.explorer), (from_n, self.novel)):
            if rows.any():  # a latent normal for the continuous parameters, the discrete ones from p
                theta[rows] = self.space.from_unit(u[rows, :d])
                z = part.sample_latent(u[rows][:, self._cont], 1.0)
                if self._cont:
                    theta[np.ix_(rows, self._cont)] = self.gauss.to_theta(z)
                lw[rows] = self._final_log_weight(theta[rows], z)
        if from_a.any():
            theta[from_a], _, z = self._from_q(u[from_a, :d], final=True, uc=(c[from_a] - eps - exp) / keep,
                                               q=self.anchor)
            lw[from_a] = self._final_log_weight(theta[from_a], z)
        if from_q.any():
            uc = (c[from_q] - eps - exp - keep - nov) / (1.0 - eps - exp - keep - nov)
            theta[from_q], lr, z = self._from_q(u[from_q, :d], final=True, uc=uc)
            lw[from_q] = self._final_log_weight(theta[from_q], z, lr)
        return Proposal(theta, lw, int(stage), 0.0 if self.converged else self.level, offset)

    def update(self, proposal: Proposal, robustness: np.ndarray) -> dict:
        r = sanitize_robustness(robustness, len(proposal))
        events = r < 0
        n_events = int(events.sum())
        if self.refining:
            return self._refine(proposal, events)
        if not self._adapting:
            return {"level": 0.0 if self.converged else self.level, "done": True, "converged": self.converged,
                    "n_events": n_events, "n": int(r.size), "stage": int(proposal.stage)}
        if r.size == 0:
            raise ValueError("cannot update the cross-entropy sampler with an empty stage")
        gamma = float(np.quantile(r, self.config.rho))
        level = max(gamma, 0.0)
        reached = level == 0.0 and n_events > 0
        elites = events if reached else (r <= level)
        below = r < level
        if not reached and elites.sum() > 2 * self.config.rho * r.size and below.sum() >= MIN_BELOW_PLATEAU:
            # a plateau (robustness saturated, e.g. no encounter within the TTC horizon) holds the
            # quantile: the draws below it are the signal, the plateau's ties are not elites
            elites = below
        lw = np.asarray(proposal.log_weight, dtype=float)[elites]
        theta = np.atleast_2d(proposal.theta)[elites]
        finite = np.isfinite(lw)
        w = np.zeros_like(lw)
        if finite.any():
            w[finite] = np.exp(lw[finite] - lw[finite].max())
        if w.sum() > 0:
            if isinstance(self.gauss, _LatentMixture):
                self.gauss.refit(self.gauss.to_latent(theta[:, self._cont]), w, self.config.alpha,
                                 self._key(int(proposal.stage), "mixture-init"))
            elif self._cont:
                self.gauss.refit(self.gauss.to_latent(theta[:, self._cont]), w, self.config.alpha,
                                 self.config.shrink)
            for j, fam in zip(self._prod, self.families):
                fam.refit(theta[:, j], w, self.config.alpha,
                          (self.config.cat_shrink if fam.kind == "categorical" else self.config.shrink))
        if self.n_updates == 0 and self.config.keep > 0.0:
            self.anchor = (copy.deepcopy(self.gauss), copy.deepcopy(self.families))
        self.n_updates += 1
        self.level = level
        if reached:
            self.converged = True
            # refine on the events of final proposals, unless told not to (the mixture family
            # has no additive statistics to pool); with a novelty share, keep watching for the
            # events the proposal under-samples
            self.refitting = self.config.refine > 0 and not isinstance(self.gauss, _LatentMixture)
            self.refining = self.refitting or self._watching
            self._adapting = self.refining
        elif self.n_updates >= self.config.max_stages:
            self._adapting = False
        info = {"level": level, "done": not self._adapting, "converged": self.converged,
                "n_elites": int(elites.sum()), "n_events": n_events, "n": int(r.size),
                "stage": int(proposal.stage)}
        self.history.append({k: info[k] for k in ("stage", "level", "n_elites", "n_events", "n")})
        return info

    def _refine(self, proposal: Proposal, events: np.ndarray) -> dict:
        """A refining stage: add its events, weighted by their own likelihood ratios p/q_mix
        (at most 1/eps), to the pool and move q towards the pool's fit, whose effective size
        grows stage by stage; stop refitting q after ``refine`` stages or once the pool's
        effective size reaches ``refine_ess``. With a ``novelty`` share, the events that the
        adapted parts (q and q_1) under-sample join a second pool, which the novelty component
        is fitted on (:meth:`_watch`), and the stages go on as long as the run does."""
        theta = np.atleast_2d(proposal.theta)[events]
        w = np.exp(np.asarray(proposal.log_weight, dtype=float)[events])
        n_novel = self._watch(theta, w) if self._watching else 0
        if self.refitting:
            self.pool.add(self, theta, w)
            self.pool.refit(self)
            self.n_refined += 1
            if self.n_refined >= self.config.refine or self.pool.ess >= self.config.refine_ess:
                self.refitting = False
        self.n_updates += 1
        if not self.refitting and not self._watching:
            self.refining = False
            self._adapting = False
        info = {"level": 0.0, "done": not self._adapting, "converged": True, "refining": True,
                "n_events": int(events.sum()), "pool_ess": self.pool.ess, "n": int(events.size),
                "stage": int(proposal.stage), "novel_events": n_novel, "novel_total": self.n_novel}
        self.history.append({k: info[k] for k in ("stage", "level", "n_events", "n", "pool_ess", "novel_events")})
        return info

    @property
    def _watching(self) -> bool:
        """Whether stages from the final mixture feed a novelty component (option ``novelty``)."""
        return self.config.novelty > 0.0 and bool(self._cont)

    def _watch(self, theta: np.ndarray, w: np.ndarray) -> int:
        """Add the events where the adapted parts of the mixture put less than ``novel_ratio``
        of p's density (``((1 - eps - keep - nov - exp) q + keep q_1) / (1 - eps - nov - exp) < novel_ratio p``)
        to the novelty pool, weighted by their likelihood ratios (so the pool estimates p
        restricted to the failures the proposal misses), and refit the novelty component: the
        pool's mean and covariance on the latents, principal stds at least :data:`NOVEL_FLOOR`.
        Returns how many events joined."""
        if not theta.shape[0]:
            return 0
        eps, _, nov, exp = self._shares()
        z = self.gauss.to_latent(theta[:, self._cont])
        adapted = (special.logsumexp(np.stack(self._adapted_terms(theta, z, None)), axis=0)
                   - math.log1p(-eps - nov - exp))
        novel = adapted < math.log(self.config.novel_ratio)
        if novel.any():
            self.novel_pool.add(self, theta[novel], w[novel])
            self.n_novel += int(novel.sum())
            self._fit_novel()
        return int(novel.sum())

    def _fit_novel(self) -> None:
        """The novelty component from the novelty pool's weighted moments (None while it is empty)."""
        sw, s1, s2 = self.novel_pool.lat
        if not sw > 0:
            return
        m = s1 / sw
        self.novel = _LatentGaussian(self.gauss.maps, NOVEL_FLOOR)
        self.novel.mean = m
        self.novel.cov = _floor_cov(s2 / sw - np.outer(m, m), NOVEL_FLOOR)

    # ---------------------------------------------------------------------- state
    def state_dict(self) -> dict:
        d = super().state_dict()
        d.update({
            "n_updates": self.n_updates,
            "adapting": self._adapting,
            "converged": self.converged,
            "level": encode_float(self.level),
            "history": [dict(h, level=encode_float(h["level"])) for h in self.history],
            "families": [{"kind": f.kind, **f.get()} for f in self.families],
            "latent_gaussian": self.gauss.get() if self._cont else None,
            "latent_kind": self.gauss.kind,
            "refining": self.refining,
            "refitting": self.refitting,
            "n_refined": self.n_refined,
            "pool": self.pool.get(),
            "novel_pool": self.novel_pool.get(),
            "n_novel": self.n_novel,
            "anchor": None if self.anchor is None else {
                "families": [{"kind": f.kind, **f.get()} for f in self.anchor[1]],
                "latent_gaussian": self.anchor[0].get() if self._cont else None},
        })
        return d

    def _set_q(self, gauss, families: list, d: dict) -> None:
        """Load one proposal's (latent block, families) from its part of a state dict."""
        if len(d["families"]) != len(families):
            raise ValueError("state does not match this parameter space")
        for fam, fd in zip(families, d["families"]):
            if fd["kind"] != fam.kind:
                raise ValueError(f"state has a {fd['kind']} family where this space needs {fam.kind}")
            fam.set(fd)
        if self._cont:
            if not d.get("latent_gaussian"):
                raise ValueError("state has no latent Gaussian for this space's continuous parameters")
            gauss.set(d["latent_gaussian"])

    def load_state(self, d: dict) -> None:
        super().load_state(d)
        if d.get("latent_kind", "latent_gaussian") != self.gauss.kind:
            raise ValueError(f"state has a {d.get('latent_kind')} where this sampler needs {self.gauss.kind}")
        self._set_q(self.gauss, self.families, d)
        if d.get("anchor") is not None:
            self.anchor = (copy.deepcopy(self.gauss), copy.deepcopy(self.families))
            self._set_q(*self.anchor, d["anchor"])
        self.n_updates = int(d["n_updates"])
        self.refining = bool(d.get("refining", False))
        self.refitting = bool(d.get("refitting", self.refining))
        self.n_refined = int(d.get("n_refined", 0))
        if d.get("pool") is not None:
            self.pool.set(d["pool"])
        if d.get("novel_pool") is not None:
            self.novel_pool.set(d["novel_pool"])
            self.n_novel = int(d.get("n_novel", 0))
            self._fit_novel()
        self._adapting = bool(d["adapting"])
        self.converged = bool(d["converged"])
        self.level = decode_float(d["level"])
        self.history = [dict(h, level=decode_float(h["level"])) for h in d["history"]]


def ce_state_summary(state: Mapping[str, Any] | None) -> str | None:
    """The line a run's report prints about a ``ce`` state (``state_dict`` of the last stage, as
    stored in a manifest): how many events the novelty component is fitted on; None when the
    state has no novelty share (any other sampler's state, or ``novelty=0``)."""
    state = state or {}
    options = state.get("options") or {}
    if not float(options.get("novelty", 0.0)) > 0.0:
        return None
    n_novel = int(state.get("n_novel", 0))
    if n_novel:
        return f"novelty component: fitted on {n_novel} events the adapted proposal under-samples"
    return "novelty component: none yet (no event fell where the adapted proposal under-samples)"


__all__ = ["NOVEL_FLOOR", "PRESETS", "CrossEntropySampler", "ce_state_summary"]
