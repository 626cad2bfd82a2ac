"""The logs' smoothed position noise (coverage/measurement.py): its spectrum in closed form, its fit
recovering a known injected noise next to driving of its own, and what it does to the derivative
descriptors (braking bursts at constant speed), which white noise of the same size does not."""

from __future__ import annotations

import numpy as np
import pytest
from coverage_helpers import highway_dir
from scipy.signal import welch

from scenariogen.coverage import DESCRIPTOR_NAMES, descriptors
from scenariogen.coverage.derivatives import derivative_descriptors
from scenariogen.coverage.measurement import (
    NPERSEG,
    MeasurementNoise,
    _coloured,
    empty_spectra,
    expected_spectrum,
    fit,
    spectra,
)
from scenariogen.coverage.report import _measurement_line, measure_noise

DT = 0.1
COL = {n: k for k, n in enumerate(DESCRIPTOR_NAMES)}


def _drive(B, T, rng, heading=0.7, accel_sd=0.0):
    """Straight tracks along ``heading``: a slow speed swing plus white acceleration of ``accel_sd``
    m/s^2 per frame; (traj (B, 1, T, 8), mask)."""
    t = np.arange(T) * DT
    v = 12 + 1.0 * np.sin(2 * np.pi * 0.1 * t + rng.uniform(0, 6, (B, 1)))
    v = v + np.cumsum(rng.normal(0, accel_sd, (B, T)), axis=1) * DT
    s = np.cumsum(v, axis=1) * DT
    traj = np.zeros((B, 1, T, 8))
    traj[:, 0, :, 0], traj[:, 0, :, 1] = s * np.cos(heading), s * np.sin(heading)
    traj[:, 0, :, 2], traj[:, 0, :, 3] = heading, v
    return traj, np.ones((B, 1, T), bool)


def test_the_spectrum_in_closed_form_is_welchs_of_the_process():
    rng = np.random.default_rng(0)
    n = _coloured((40, 3000), 0.15, DT, rng)
    assert n.std() == pytest.approx(1.0, rel=0.03)  # unit stationary sd
    dd = (n[:, 2:] - 2 * n[:, 1:-1] + n[:, :-2]) / DT ** 2
    f, p = welch(dd, fs=1 / DT, nperseg=NPERSEG, axis=-1)
    p = p.mean(axis=0)
    band = (f >= 0.5) & (f <= 4.7)
    np.testing.assert_allclose(p[band], expected_spectrum(0.15, DT, f[band]), rtol=0.06)


def test_the_fit_recovers_a_known_noise_beside_the_drivers_own_accelerations():
    rng = np.random.default_rng(1)
    traj, mask = _drive(150, 400, rng, accel_sd=1.0)  # white driving acceleration: a flat 0.2 (m/s^2)^2/Hz
    true = MeasurementNoise(along_sd=0.05, along_smooth=0.15, across_sd=0.02, across_smooth=0.25)
    traj[:, 0, :, 0], traj[:, 0, :, 1] = true.perturb(traj[:, 0, :, 0], traj[:, 0, :, 1], traj[:, 0, :, 2], rng)
    m = fit(spectra(traj, mask, DT))
    assert m.along_sd == pytest.approx(0.05, rel=0.06) and m.along_smooth == pytest.approx(0.15, abs=0.01)
    assert m.across_sd == pytest.approx(0.02, rel=0.15) and m.across_smooth == pytest.approx(0.25, abs=0.03)
    assert m.along_floor == pytest.approx(2 * DT * 1.0, rel=0.25)  # the driving, not taken for noise
    assert m.stretches == 150 and m.frames == 150 * 398
    clean, _ = _drive(150, 400, np.random.default_rng(1))
    assert fit(spectra(clean, mask, DT)).along_sd < 0.003  # nothing injected, nothing found


def test_nothing_to_fit_on_is_an_error():
    with pytest.raises(ValueError, match="no vehicle stretch"):
        fit(empty_spectra(DT))
    traj, mask = _drive(3, NPERSEG + 1, np.random.default_rng(2))  # one frame too short
    with pytest.raises(ValueError, match="no vehicle stretch"):
        fit(spectra(traj, mask, DT))
    with pytest.raises(ValueError, match="along_sd"):
        MeasurementNoise(along_sd=-1.0, along_smooth=0.1, across_sd=0.0, across_smooth=0.1)
    coarse, cmask = _drive(20, 200, np.random.default_rng(3))  # frames 0.5 s apart: one bin left in the band
    with pytest.raises(ValueError, match="at least 3"):
        fit(spectra(coarse, cmask, 0.5))


def test_a_model_applies_only_at_its_own_frame_step_and_to_any_length():
    from scenariogen.errors import ParameterError

    m = MeasurementNoise(along_sd=0.05, along_smooth=0.15, across_sd=0.02, across_smooth=0.25, dt=DT)
    traj, mask = _drive(4, 60, np.random.default_rng(4))
    with pytest.raises(ParameterError, match="0.05 s apart"):
        derivative_descriptors(traj, mask, 0.05, 1.0, noise=m)
    x, y = m.perturb(np.zeros((2, 0)), np.zeros((2, 0)), np.zeros((2, 0)), np.random.default_rng(0))
    assert x.shape == y.shape == (2, 0)


def test_smoothed_noise_reads_as_braking_at_constant_speed_and_white_noise_does_not():
    """A straight ego at a constant 12 m/s: the logs' smoothed noise (as fitted on the calibration
    recordings, docs/coverage.md) gives it braking bursts of about 0.75 m/s^2 (median of 3 s windows); white
    noise of the size coverage measured before (0.0195 m) gives a few tenths; the speed stays exact."""
    T = 30
    traj = np.zeros((400, 1, T, 8))
    traj[:, 0, :, 0] = 12.0 * np.arange(T) * DT
    traj[:, 0, :, 3] = 12.0
    mask = np.ones((400, 1, T), bool)
    model = MeasurementNoise(along_sd=0.055, along_smooth=0.145, across_sd=0.027, across_smooth=0.155)
    white, _ = derivative_descriptors(traj, mask, DT, noise=0.0195, seed=3)
    smoothed, _ = derivative_descriptors(traj, mask, DT, noise=model, seed=3)
    assert np.median(white) < 0.3 < 0.6 < np.median(smoothed)
    again, _ = derivative_descriptors(traj, mask, DT, noise=model, seed=3)
    np.testing.assert_array_equal(smoothed, again)  # seeded
    D, _ = descriptors(traj, mask, np.zeros((400, 1), np.int64), np.full((400, 1, 2), [4.5, 1.8]), DT,
                       occlusion=False, position_noise=model, noise_seed=3)
    np.testing.assert_array_equal(D[:, COL["ego_max_decel"]], smoothed)
    assert np.all(D[:, COL["ego_speed_std"]] == 0.0)  # the measured speed is not touched


def test_measured_on_the_ngsim_logs_and_reported(tmp_path):
    m = measure_noise(highway_dir(tmp_path), dt=DT)
    # NGSIM: centimetres, smoothed over about 0.1 to 0.2 s, more along the road than across it
    assert 0.02 < m.along_sd < 0.15 and m.across_sd < m.along_sd and 0.05 < m.along_smooth < 0.3
    line = _measurement_line({"model": "smoothed", "fitted_on": "LOGS", **m.as_dict()})
    assert "smoothed position noise" in line and f"{m.along_sd:.3f} m along" in line
    assert "white noise of 0.021 m" in _measurement_line({"model": "white", "sd": 0.0205, "fitted_on": "LOGS"})
