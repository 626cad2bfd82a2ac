"""Adaptive multilevel splitting (``splitting``): an estimator without likelihood ratios.

Particles live in standard-normal latent coordinates z, theta = F^{-1}(Phi(z))
per column (:func:`~scenariogen.sampling.base.latent_to_theta`), so z ~ N(0, I)
means theta ~ p, discrete parameters included. Moves are preconditioned
Crank-Nicolson steps ``z' = sqrt(1 - beta^2) z + beta xi``, reversible for
N(0, I), accepted iff the candidate stays below the current level: the
conditional law p(. | r < L) is invariant.

Algorithm (generalised AMS with fixed kill count k = kill_fraction * N): start
with N particles from p; repeat: L = the k-th largest robustness; if L < 0, stop;
else kill every particle with r >= L (K >= k of them, more on ties), multiply the
estimate by (1 - K/N), clone each killed slot from a random survivor and move the
clones ``mcmc_steps`` times under the constraint r < L. The estimate is
``prod_j (1 - K_j/N) * (fraction of particles with r < 0 at the end)``. Its
interval uses the asymptotic relative variance
``sum_j K_j / (N (N - K_j)) + (1 - f) / (N f)`` (Cerou & Guyader) on the log
scale; it ignores the correlation the MCMC moves leave between particles.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy import special, stats

from .base import (
    Proposal,
    Sampler,
    _check_seed,
    decode_array,
    decode_float,
    encode_array,
    encode_float,
    latent_to_theta,
    register_sampler,
    sanitize_robustness,
    stream_uniforms,
)
from .estimate import Estimate
from .options import SplittingOptions


@register_sampler
class SplittingSampler(Sampler):
    """Adaptive multilevel splitting; ``run(evaluate, ...)`` gives an :class:`Estimate`.

    Options (:class:`~scenariogen.sampling.options.SplittingOptions`): ``n_particles`` (N, 1000),
    ``kill_fraction`` (k / N, 0.1), ``mcmc_steps`` (pCN moves per level, 5), ``beta`` (initial
    pCN step, 0.5, adapted towards ``target_accept`` 0.3), ``max_levels`` (10000).

    Stage semantics for ``propose``/``update`` (generation), honestly:

    - stage 0 holds the N initial particles, drawn from p (``log_weight`` 0);
    - while ``adapting``, every later stage holds one pCN *candidate* move for each
      particle being renewed at the current level (``stage_size`` rows, usually
      k); ``update`` accepts the candidates with robustness < level, and after
      ``mcmc_steps`` stages it raises the level (kill, clone);
    - ``log_weight`` of these rows is log of the *current level's probability
      estimate* P(r < level): the mass each population member stands for, not an
      importance ratio. ``estimate_probability`` on these rows is *not* a valid
      estimator; use :meth:`estimate` / :meth:`run`;
    - ``update`` needs the whole stage (``stage_size`` rows from offset 0; join
      pieces with :meth:`Proposal.concat`); ``propose`` returns fewer than n rows
      when n exceeds what the stage holds;
    - once the event level is reached (not ``adapting``), the population is
      resampled onto the events and every final stage holds any number of pCN
      candidate moves from that fixed population (row i from particle i mod N).
      Candidates with robustness < 0 are event samples; they follow
      p(. | event) * a(theta), a = the chance that a move from theta stays an
      event, i.e. slightly biased towards the interior of the event set (the
      Markov-chain states -- candidate if accepted, parent otherwise -- would
      follow p(. | event) exactly). ``log_weight`` is then log P_hat(event).
      ``update`` no longer changes the state.
    """

    name = "splitting"
    Options = SplittingOptions
    config: SplittingOptions

    def _reset(self) -> None:
        N, d = self.config.n_particles, self.dim
        self.phase = "init"            # init -> level -> done
        self.z = np.zeros((N, d))
        self.r = np.full(N, np.inf)
        self.level: float | None = None
        self.log_mass = 0.0            # log P_hat(r < level)
        self.moving = np.zeros(0, dtype=np.int64)
        self.step = 0                  # MCMC steps done at the current level
        self.beta = float(self.config.beta)
        self.kills: list[int] = []     # K_j per level
        self.levels: list[float] = []
        self.final_fraction = math.nan
        self.n_sims = 0
        self.n_accepted = 0
        self.n_moves = 0
        self.stop_reason = ""

    @property
    def n_particles(self) -> int:
        return int(self.config.n_particles)

    @property
    def k(self) -> int:
        return max(1, min(self.n_particles - 1, round(self.config.kill_fraction * self.n_particles)))

    @property
    def adapting(self) -> bool:
        return self.phase != "done"

    @property
    def stage_size(self) -> int | None:
        if self.phase == "init":
            return self.n_particles
        if self.phase == "level":
            return int(self.moving.size)
        return None

    # --------------------------------------------------------------- candidates
    def _candidates(self, stage: int, offset: int, n: int) -> np.ndarray:
        """Latent rows offset..offset+n-1 of the stage (n already clipped)."""
        d = self.dim
        if self.phase == "init":
            return special.ndtri(stream_uniforms(self._key(stage, "init"), offset, n, d))
        rows = np.arange(offset, offset + n)
        parent = self.z[self.moving[rows]] if self.phase == "level" else self.z[rows % self.n_particles]
        xi = special.ndtri(stream_uniforms(self._key(stage, "move"), offset, n, d))
        return math.sqrt(1.0 - self.beta ** 2) * parent + self.beta * xi

    def propose(self, n: int, stage: int, offset: int = 0) -> Proposal:
        self._check_request(n, stage, offset)
        n, offset = int(n), int(offset)
        size = self.stage_size
        if size is not None:
            n = max(0, min(n, size - offset))
        z = self._candidates(int(stage), offset, n).reshape(n, self.dim)
        theta = latent_to_theta(self.space, z) if self.dim else np.zeros((n, 0))
        lw = np.full(n, self.log_mass)
        level = None if self.phase == "init" else self.level
        return Proposal(theta, lw, int(stage), level, offset)

    def update(self, proposal: Proposal, robustness: np.ndarray) -> dict:
        r = sanitize_robustness(robustness, len(proposal))
        n = len(proposal)
        self.n_sims += n
        if self.phase == "done":
            acc = int((r < 0).sum())
            return {"level": self.level, "done": True, "n_events": acc, "n": n, "stage": int(proposal.stage),
                    "log_p": self.log_mass}
        size = self.stage_size
        if proposal.offset != 0 or n != size:
            self.n_sims -= n
            raise ValueError(f"splitting update needs the whole stage ({size} rows from offset 0), "
                             f"got {n} rows from offset {proposal.offset}; join pieces with Proposal.concat")
        z = self._candidates(int(proposal.stage), 0, n).reshape(n, self.dim)
        info: dict = {"stage": int(proposal.stage), "n": n}
        if self.phase == "init":
            self.z, self.r = z, r.copy()
            self.phase = "level"
            self._advance()
        else:
            acc = r < self.level
            idx = self.moving[acc]
            self.z[idx] = z[acc]
            self.r[idx] = r[acc]
            rate = float(acc.mean()) if n else 0.0
            self.n_accepted += int(acc.sum())
            self.n_moves += n
            info["accept"] = rate
            self.beta = float(np.clip(self.beta * math.exp(rate - self.config.target_accept), 0.01, 1.0))
            self.step += 1
            if self.step >= self.config.mcmc_steps:
                self._advance()
        info.update(level=self.level, done=not self.adapting, log_p=self.log_mass, n_levels=len(self.kills))
        return info

    def _clone(self, killed: np.ndarray, survivors: np.ndarray) -> None:
        u = stream_uniforms(self._key(len(self.kills), "clone"), 0, killed.size, 1)[:, 0]
        parents = survivors[np.minimum((u * survivors.size).astype(np.int64), survivors.size - 1)]
        self.z[killed] = self.z[parents]
        self.r[killed] = self.r[parents]

    def _finish(self, reason: str) -> None:
        events = self.r < 0
        f = float(events.mean())
        self.final_fraction = f
        self.log_mass = self.log_mass + (math.log(f) if f > 0 else -math.inf)
        self.stop_reason = reason
        self.phase = "done"
        self.level = 0.0
        self.moving = np.zeros(0, dtype=np.int64)
        if 0 < f < 1:  # resample the population onto the events for final proposals
            self._clone(np.flatnonzero(~events), np.flatnonzero(events))

    def _advance(self) -> None:
        N = self.n_particles
        L = float(np.partition(self.r, N - self.k)[N - self.k])  # k-th largest
        if L < 0:
            return self._finish("reached the event level")
        if len(self.kills) >= self.config.max_levels:
            return self._finish("max_levels reached before the event level")
        killed = self.r >= L
        K = int(killed.sum())
        if K >= N:
            return self._finish("all particles tied at the level (robustness plateau): cannot split further")
        self.log_mass += math.log1p(-K / N)
        self.kills.append(K)
        self.levels.append(L)
        self.level = L
        killed_idx = np.flatnonzero(killed)
        self._clone(killed_idx, np.flatnonzero(~killed))
        self.moving = killed_idx
        self.step = 0

    # ----------------------------------------------------------------- estimator
    def estimate(self, confidence: float = 0.95) -> Estimate:
        """The AMS estimate from the current state (flagged when the run is unfinished)."""
        N = self.n_particles
        warns: list[str] = []
        if self.phase == "done":
            f = self.final_fraction
            logp = self.log_mass
            if self.stop_reason != "reached the event level":
                warns.append(f"splitting stopped early: {self.stop_reason}; the estimate is biased low")
        else:
            f = float((self.r < 0).mean()) if self.phase == "level" else math.nan
            logp = self.log_mass + (math.log(f) if f > 0 else -math.inf)
            warns.append("splitting did not reach the event level (budget spent); the estimate is biased low")
        n_events = round(f * N) if math.isfinite(f) else 0
        p = math.exp(logp) if math.isfinite(logp) else 0.0
        z = float(stats.norm.ppf(0.5 + confidence / 2))
        relvar = sum(K / (N * (N - K)) for K in self.kills)
        if p > 0:
            relvar += (1 - f) / (N * f)
            lo, hi = p * math.exp(-z * math.sqrt(relvar)), p * math.exp(z * math.sqrt(relvar))
            rhw = (hi - lo) / (2 * p)
            ess = p * (1 - p) / (p * p * relvar) if relvar > 0 else float(N)
        else:
            warns.append("no particle reached the event")
            lo, hi, rhw, ess = 0.0, math.nan, math.inf, 0.0
        acc = self.n_accepted / self.n_moves if self.n_moves else math.nan
        if self.n_moves and acc < 0.05:
            warns.append(f"MCMC acceptance rate is {acc:.1%}: particles barely move, the interval is optimistic")
        details = {"levels": len(self.kills), "final_fraction": f, "n_particles": N, "k": self.k,
                   "mcmc_steps": self.config.mcmc_steps, "accept_rate": acc, "relvar": relvar,
                   "stop_reason": self.stop_reason}
        return Estimate(p, lo, hi, rhw, ess, int(self.n_sims), n_events, math.nan, "splitting", warns,
                        math.nan, confidence, details)

    def run(self, evaluate, n_particles: int | None = None, max_levels: int | None = None,
            seed: int | None = None, max_sims: int | None = None) -> Estimate:
        """Run AMS to the event level with ``evaluate(theta (n, d)) -> robustness (n,)``.

        Resets the state; ``n_particles``, ``max_levels`` and ``seed`` override the
        options. ``max_sims`` stops early (with a warning) once that many
        simulations are spent."""
        if seed is not None:
            self.seed = _check_seed(seed)
        changes = {k: int(v) for k, v in (("n_particles", n_particles), ("max_levels", max_levels)) if v is not None}
        self.config = replace(self.config, **changes)
        self._reset()
        stage = 0
        while self.adapting:
            if max_sims is not None and self.n_sims + (self.stage_size or 0) > max_sims:
                break
            prop = self.propose(self.stage_size, stage)
            r = np.asarray(evaluate(prop.theta), dtype=float)
            self.update(prop, r)
            stage += 1
        return self.estimate()

    # ---------------------------------------------------------------------- state
    def state_dict(self) -> dict:
        d = super().state_dict()
        d.update({
            "phase": self.phase, "z": encode_array(self.z), "r": encode_array(self.r),
            "level": encode_float(self.level), "log_mass": encode_float(self.log_mass),
            "moving": [int(i) for i in self.moving], "step": self.step, "beta": self.beta,
            "kills": list(self.kills), "levels": [encode_float(v) for v in self.levels],
            "final_fraction": encode_float(self.final_fraction), "n_sims": self.n_sims,
            "n_accepted": self.n_accepted, "n_moves": self.n_moves, "stop_reason": self.stop_reason,
        })
        return d

    def load_state(self, d: dict) -> None:
        super().load_state(d)
        N = self.n_particles
        self.phase = d["phase"]
        self.z = decode_array(d["z"]).reshape(N, self.dim)
        self.r = decode_array(d["r"]).reshape(N)
        self.level = decode_float(d["level"])
        self.log_mass = float(decode_float(d["log_mass"]))
        self.moving = np.asarray(d["moving"], dtype=np.int64)
        self.step = int(d["step"])
        self.beta = float(d["beta"])
        self.kills = [int(v) for v in d["kills"]]
        self.levels = [float(decode_float(v)) for v in d["levels"]]
        self.final_fraction = float(decode_float(d["final_fraction"]))
        self.n_sims = int(d["n_sims"])
        self.n_accepted = int(d["n_accepted"])
        self.n_moves = int(d["n_moves"])
        self.stop_reason = d["stop_reason"]


__all__ = ["SplittingSampler"]
