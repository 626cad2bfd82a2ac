"""A measurement model of the logs' position noise: simulated trajectories measured like the logs.

Video-tracked logs carry a position error that is smoothed, not white: on the NGSIM US-101
recordings the raw second difference of the position along the direction of travel has its power
at 1 to 2 Hz, where driving has little (docs/calibration.md, "Short braking bursts: the logs'
position noise"). White noise puts its power at the highest frequencies, which the derivative
filter removes; a smoothed noise passes through it and reads as short braking bursts at constant
speed.

The model: along and across the direction of travel, independent stationary Gaussian processes,
each white noise smoothed by a Gaussian kernel of standard deviation ``smooth`` (s) and scaled to
the stationary standard deviation ``sd`` (m). It is fitted on the logs' vehicles (every stretch of
at least ``NPERSEG + 2`` frames): the Welch spectrum (Hann segments of ``NPERSEG`` frames) of the raw
second difference of the position, projected on the direction of travel (from the positions'
Savitzky-Golay velocity) and across it, pooled over the stretches, is matched on ``FIT_BAND`` by
``floor + sd^2 K(f; smooth)``: K is the exact expected Welch spectrum of the unit process's second
difference, the floor ((m/s^2)^2/Hz, flat) stands for the drivers' own accelerations in that band.
Least squares of the relative error, ``smooth`` on a grid (``SMOOTH_GRID``), sd and floor >= 0 for each.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

NPERSEG = 32  # frames per Welch segment
FIT_BAND = (1.0, 4.9)  # Hz, the band the model is fitted on (below the 5 Hz Nyquist of 0.1 s frames)
SMOOTH_GRID = np.round(np.arange(0.02, 0.6001, 0.005), 4)  # s
_VEL_WINDOW = 1.0  # s, the Savitzky-Golay window of the direction of travel


@dataclass(frozen=True)
class MeasurementNoise:
    """Coloured position noise (module docstring). ``along_sd``/``across_sd`` (m): stationary sd along
    and across the direction of travel; ``along_smooth``/``across_smooth`` (s): the smoothing kernel's
    sd; ``along_floor``/``across_floor`` ((m/s^2)^2/Hz): the fitted flat part (not noise, not added);
    ``dt`` (s) the frame step it was fitted at; ``stretches``/``frames``: how much log it saw."""

    along_sd: float
    along_smooth: float
    across_sd: float
    across_smooth: float
    along_floor: float = 0.0
    across_floor: float = 0.0
    dt: float = 0.1
    stretches: int = 0
    frames: int = 0

    def __post_init__(self):
        for k in ("along_sd", "across_sd", "along_floor", "across_floor"):
            if not getattr(self, k) >= 0:
                raise ValueError(f"{k} must be >= 0, got {getattr(self, k)}")
        for k in ("along_smooth", "across_smooth", "dt"):
            if not getattr(self, k) > 0:
                raise ValueError(f"{k} must be > 0, got {getattr(self, k)}")

    def as_dict(self) -> dict:
        return asdict(self)

    def perturb(self, x, y, heading, rng) -> tuple[np.ndarray, np.ndarray]:
        """x, y (m, (B, T), frames ``dt`` apart) plus the noise, turned by ``heading`` (rad, (B, T)):
        along the heading and across it. NaN headings leave NaN positions."""
        x, y, h = (np.asarray(a, np.float64) for a in (x, y, heading))
        na = _coloured(x.shape, self.along_smooth, self.dt, rng) * self.along_sd
        nc = _coloured(x.shape, self.across_smooth, self.dt, rng) * self.across_sd
        c, s = np.cos(h), np.sin(h)
        return x + na * c - nc * s, y + na * s + nc * c


def _kernel(smooth: float, dt: float) -> np.ndarray:
    """The Gaussian smoothing kernel (sd ``smooth`` s) at frames ``dt`` apart, unit sum of squares."""
    k = max(1, int(np.ceil(4.0 * smooth / dt)))
    g = np.exp(-0.5 * (np.arange(-k, k + 1) * dt / smooth) ** 2)
    return g / np.sqrt(np.sum(g ** 2))


def _coloured(shape, smooth: float, dt: float, rng) -> np.ndarray:
    """Unit-variance smoothed white noise, independent rows of ``shape[-1]`` frames."""
    from scipy.signal import fftconvolve

    if shape[-1] == 0:
        return np.zeros(shape)
    g = _kernel(smooth, dt)
    w = rng.standard_normal((*shape[:-1], shape[-1] + len(g) - 1))
    return fftconvolve(w, g.reshape((1,) * (len(shape) - 1) + (-1,)), mode="valid", axes=-1)


def expected_spectrum(smooth: float, dt: float, freqs) -> np.ndarray:
    """The expected one-sided Welch spectrum ((m/s^2)^2/Hz; Hann segments of NPERSEG frames, as
    ``scipy.signal.welch``) of the second difference / dt^2 of the unit process, at ``freqs`` (Hz)."""
    from scipy.signal import get_window

    h = np.convolve(_kernel(smooth, dt), [1.0, -2.0, 1.0]) / dt ** 2
    r = np.correlate(h, h, mode="full")[len(h) - 1:]  # autocovariance at lags 0, 1, ...
    w = get_window("hann", NPERSEG)
    u = np.correlate(w, w, mode="full")[NPERSEG - 1:]
    m = min(len(r), len(u))
    lag = np.arange(m)
    f = np.asarray(freqs, np.float64)
    terms = (r[:m] * u[:m])[None, :] * np.cos(2 * np.pi * f[:, None] * lag[None, :] * dt)
    p = (terms[:, 0] + 2 * terms[:, 1:].sum(axis=1)) * dt / np.sum(w ** 2)
    nyq = np.isclose(f, 0.5 / dt) | (f == 0)
    return np.where(nyq, p, 2 * p)


@dataclass(frozen=True)
class Spectra:
    """Pooled Welch spectra of the second difference along and across the direction of travel
    (sums of spectrum x frames, so logs pool by addition)."""

    freqs: np.ndarray
    along: np.ndarray
    across: np.ndarray
    frames: int
    stretches: int
    dt: float

    def __add__(self, other: Spectra) -> Spectra:
        if other.frames == 0:
            return self
        if self.frames == 0:
            return other
        return Spectra(self.freqs, self.along + other.along, self.across + other.across,
                       self.frames + other.frames, self.stretches + other.stretches, self.dt)


def empty_spectra(dt: float) -> Spectra:
    f = np.fft.rfftfreq(NPERSEG, dt)
    return Spectra(f, np.zeros(len(f)), np.zeros(len(f)), 0, 0, float(dt))


def spectra(traj, mask, dt: float, kinds=None, min_speed: float = 1.0) -> Spectra:
    """:class:`Spectra` of every agent of ``traj`` (B, N, T, F >= 2) present (``mask``) for at least
    NPERSEG + 2 consecutive frames at a mean speed of at least ``min_speed`` m/s (from the positions);
    ``kinds`` (B, N): the agents to use (True) or None for all."""
    from scipy.signal import welch

    from .derivatives import _derivatives, _runs, _window_frames

    traj = np.asarray(traj)
    out = empty_spectra(dt)
    a_sum, c_sum, n, k = out.along.copy(), out.across.copy(), 0, 0
    w = _window_frames(_VEL_WINDOW, dt)
    B, N = traj.shape[:2]
    for b in range(B):
        for i in range(N):
            if kinds is not None and not kinds[b, i]:
                continue
            x = np.asarray(traj[b, i, :, 0], np.float64)
            y = np.asarray(traj[b, i, :, 1], np.float64)
            ok = np.asarray(mask[b, i], bool) & np.isfinite(x) & np.isfinite(y)
            for s, e in _runs(ok):
                if e - s < NPERSEG + 2:
                    continue
                xs, ys = x[s:e], y[s:e]
                (vx, _), (vy, _) = _derivatives(xs, dt, w), _derivatives(ys, dt, w)
                sp = np.hypot(vx, vy)
                if sp.mean() < min_speed:
                    continue
                ux, uy = vx / np.maximum(sp, 1e-9), vy / np.maximum(sp, 1e-9)
                ddx = (xs[2:] - 2 * xs[1:-1] + xs[:-2]) / dt ** 2
                ddy = (ys[2:] - 2 * ys[1:-1] + ys[:-2]) / dt ** 2
                al = ddx * ux[1:-1] + ddy * uy[1:-1]
                ac = -ddx * uy[1:-1] + ddy * ux[1:-1]
                _, pa = welch(al, fs=1 / dt, nperseg=NPERSEG)
                _, pc = welch(ac, fs=1 / dt, nperseg=NPERSEG)
                a_sum += pa * len(al)
                c_sum += pc * len(ac)
                n += len(al)
                k += 1
    return Spectra(out.freqs, a_sum, c_sum, n, k, float(dt))


def _fit_one(freqs, p, dt: float) -> tuple[float, float, float]:
    """(sd, smooth, floor) of ``floor + sd^2 K(f; smooth)`` matching ``p`` on FIT_BAND."""
    from scipy.optimize import nnls

    band = (freqs >= FIT_BAND[0]) & (freqs <= FIT_BAND[1]) & (p > 0)
    f, obs = freqs[band], p[band]
    if len(f) < 3:
        raise ValueError(f"frames {dt:g} s apart leave {len(f)} spectral bins with power in {FIT_BAND[0]:g} to "
                         f"{FIT_BAND[1]:g} Hz, and the fit needs at least 3 (a frame step of at most 0.2 s)")
    best = None
    for s in SMOOTH_GRID:
        K = expected_spectrum(float(s), dt, f)
        A = np.stack([K / obs, 1.0 / obs], axis=1)
        coef, res = nnls(A, np.ones(len(f)))
        if best is None or res < best[0]:
            best = (res, float(np.sqrt(coef[0])), float(s), float(coef[1]))
    return best[1], best[2], best[3]


def fit(sp: Spectra) -> MeasurementNoise:
    """The :class:`MeasurementNoise` of pooled :class:`Spectra` (module docstring). ValueError when
    no stretch was long enough."""
    if sp.frames == 0:
        raise ValueError(f"no vehicle stretch of at least {NPERSEG + 2} frames moving at 1 m/s or more to measure "
                         "the position noise on")
    a = _fit_one(sp.freqs, sp.along / sp.frames, sp.dt)
    c = _fit_one(sp.freqs, sp.across / sp.frames, sp.dt)
    return MeasurementNoise(along_sd=a[0], along_smooth=a[1], across_sd=c[0], across_smooth=c[1],
                            along_floor=a[2], across_floor=c[2], dt=sp.dt, stretches=sp.stretches, frames=sp.frames)
