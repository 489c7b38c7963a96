"""The cpu preset's calibration figures in README.md and the docs are those of its kept run."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "docs" / "results" / "cifar" / "cpu-preset-calibration"


def _text(page):
    return " ".join((ROOT / page).read_text().split())  # line breaks as spaces


def test_the_pages_quote_the_kept_runs_calibration():
    results = json.loads((RUN / "results.json").read_text())
    config = json.loads((RUN / "config.json").read_text())
    calibration = results["calibration"]
    before, after = calibration["before"], calibration["after"]
    # The run is the plain cpu preset, calibrated on its validation split, scored on the real test set.
    assert config["model"]["name"] == "airbench" and config["training"]["epochs"] == 14
    # Fitted and reported by every run; training.calibration (off here) only puts it into inference.keras.
    assert config["training"]["calibration"] == "none" and calibration["fitted_on"] == "validation"
    assert results["seed"] == 0 and results["data"]["test"] == 10000
    assert results["data"]["source"].endswith("cifar10-jpeg.tar.gz") and results["data"]["validation"] == 5000
    accuracy = f"{100 * results['test']['accuracy']:.2f} %"
    results_page = _text("docs/results.md")
    for figure in (accuracy, f"ECE of {before['ece']:.3f}", f"NLL of {before['nll']:.3f}",
                   f"{calibration['temperature']:.3f}", f"test ECE to {after['ece']:.4f}",
                   f"adaptive ECE from {before['adaptive_ece']:.3f} to {after['adaptive_ece']:.4f}",
                   f"NLL to {after['nll']:.3f}", f"Brier score from {before['brier']:.3f} to {after['brier']:.3f}"):  # fmt: skip
        assert figure in results_page, figure
    readme = _text("README.md")
    assert f"at {accuracy} its test ECE is {before['ece']:.3f}" in readme
    assert f"({calibration['temperature']:.3f}) brings that to {after['ece']:.3f}" in readme
    guide = _text("docs/uncertainty.md")
    assert f"{accuracy} test accuracy) the fitted temperature is {calibration['temperature']:.3f}" in guide
    assert f"test ECE from {before['ece']:.3f} to {after['ece']:.4f} and its NLL from {before['nll']:.3f}" in guide
    # The acceptance figure: calibrated ECE at most 0.03.
    assert after["ece"] <= 0.03 < before["ece"]
