"""`mixed_precision = "auto"`: bfloat16 only where the CPU runs it natively; the machine record of a run."""

import os

from kerasreg.config import ExperimentConfig, resolve
from kerasreg.engine import hardware


def write_cpuinfo(path, flags):
    path.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 {flags}\n\nprocessor\t: 1\nflags\t\t: fpu\n")
    return str(path)


def test_reads_the_bfloat16_flags(tmp_path):
    assert hardware.cpu_bfloat16_support(write_cpuinfo(tmp_path / "a", "avx512f amx_bf16 avx512_bf16")) == ("amx_bf16", "avx512_bf16")
    assert hardware.cpu_bfloat16_support(write_cpuinfo(tmp_path / "b", "avx2 avx512f")) == ()
    assert hardware.cpu_bfloat16_support(str(tmp_path / "missing")) == ()


def test_the_machine_record_reads_model_bfloat16_sets_and_gpus(tmp_path):
    record = hardware.machine(write_cpuinfo(tmp_path / "a", "avx512f avx512_bf16"), gpus=["NVIDIA H200"])
    assert record["cpu"] == "Some CPU" and record["cpu_bfloat16"] == ["avx512_bf16"]
    assert record["gpus"] == ["NVIDIA H200"] and 1 <= record["cores"] <= os.cpu_count()
    assert hardware.describe_machine(record) == f"Some CPU, {record['cores']} cores, avx512_bf16, GPU: NVIDIA H200"
    bare = hardware.machine(write_cpuinfo(tmp_path / "b", "avx2"), gpus=[])
    assert hardware.describe_machine(bare) == f"Some CPU, {bare['cores']} cores, no native bfloat16"
    # Off Linux (no cpuinfo) the model comes from the platform module, never an error.
    assert hardware.machine(str(tmp_path / "missing"), gpus=[])["cpu"]


def auto_config():
    return resolve(ExperimentConfig(), overrides=['training.mixed_precision="auto"'])


def test_auto_picks_bfloat16_with_native_support_and_says_why(monkeypatch):
    messages = []
    monkeypatch.setattr(hardware, "gpu_compute_capabilities", lambda: [])
    monkeypatch.setattr(hardware, "cpu_bfloat16_support", lambda: ("amx_bf16",))
    config = hardware.resolve_auto_precision(auto_config(), messages.append)
    assert config.training.mixed_precision == "mixed_bfloat16"
    assert messages == ["mixed precision: mixed_bfloat16 (the CPU has amx_bf16; choose with --mixed-precision)"]


def test_auto_is_float32_without_native_support(monkeypatch):
    messages = []
    monkeypatch.setattr(hardware, "gpu_compute_capabilities", lambda: [])
    monkeypatch.setattr(hardware, "cpu_bfloat16_support", lambda: ())
    config = hardware.resolve_auto_precision(auto_config(), messages.append)
    assert config.training.mixed_precision == "none"
    assert "no native bfloat16" in messages[0]


def test_an_explicit_choice_is_kept(monkeypatch):
    monkeypatch.setattr(hardware, "cpu_bfloat16_support", lambda: ("amx_bf16",))
    config = resolve(ExperimentConfig(), overrides=['training.mixed_precision="none"'])
    assert hardware.resolve_auto_precision(config, print).training.mixed_precision == "none"


def test_auto_picks_float16_when_every_gpu_has_tensor_cores(monkeypatch):
    messages = []
    monkeypatch.setattr(hardware, "cpu_bfloat16_support", lambda: ("amx_bf16",))
    monkeypatch.setattr(hardware, "gpu_compute_capabilities", lambda: [(8, 0), (9, 0)])
    assert hardware.resolve_auto_precision(auto_config(), messages.append).training.mixed_precision == "mixed_float16"
    assert "tensor cores" in messages[0]
    monkeypatch.setattr(hardware, "gpu_compute_capabilities", lambda: [(8, 0), (6, 1)])
    assert hardware.resolve_auto_precision(auto_config(), messages.append).training.mixed_precision == "none"
    assert "(6, 1)" in messages[1]


def test_this_machine_reports_its_gpus():
    import tensorflow as tf

    capabilities = hardware.gpu_compute_capabilities()
    assert len(capabilities) == len(tf.config.list_physical_devices("GPU"))
    assert all(len(c) == 2 for c in capabilities)
