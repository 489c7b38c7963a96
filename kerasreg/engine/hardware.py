"""What this machine's CPU can do that a preset depends on, and the record of it a run keeps."""

import os
import platform


def _cpuinfo_field(name, cpuinfo):
    """The first ``name : value`` of ``cpuinfo`` (Linux's /proc/cpuinfo), or None."""
    try:
        with open(cpuinfo) as handle:
            return next((line.split(":", 1)[1].strip() for line in handle if line.split(":", 1)[0].strip() == name), None)
    except OSError:
        return None


def cpu_flags(cpuinfo="/proc/cpuinfo"):
    """The CPU's instruction-set flags (``avx2``, ``amx_bf16``, ...) as a set; empty where they cannot be read."""
    return set((_cpuinfo_field("flags", cpuinfo) or "").split())


def cpu_bfloat16_support(cpuinfo="/proc/cpuinfo"):
    """The CPU's native bfloat16 instruction sets (``amx_bf16``, ``avx512_bf16``) found, as a tuple.

    Empty when there are none or the CPU flags cannot be read (not Linux):
    then bfloat16 would be emulated, slower than float32.
    """
    flags = cpu_flags(cpuinfo)
    return tuple(flag for flag in ("amx_bf16", "avx512_bf16") if flag in flags)


def cpu_model(cpuinfo="/proc/cpuinfo"):
    """The CPU's model name ("AMD EPYC", "Intel(R) Xeon(R) ..."); `platform.processor()` off Linux."""
    return _cpuinfo_field("model name", cpuinfo) or platform.processor() or "unknown CPU"


def usable_cores():
    """The cores this process may run on (its affinity mask where the OS has one, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def machine(cpuinfo="/proc/cpuinfo", gpus=None):
    """What a run's speed and bfloat16 numerics depend on, as ``results.json`` records it.

    ``{"cpu": model, "cores": usable cores, "cpu_bfloat16": native bfloat16
    sets, "gpus": GPU names}``. Two runs' wall times compare only when this
    is the same: the cpu preset's nets train at about 0.55x the speed on a
    2-core EPYC with AVX512-BF16 alone as on a 2-core Xeon with AMX (docs/results.md).
    """
    return {"cpu": cpu_model(cpuinfo), "cores": usable_cores(), "cpu_bfloat16": list(cpu_bfloat16_support(cpuinfo)),
            "gpus": gpu_names() if gpus is None else list(gpus)}  # fmt: skip


def describe_machine(record):
    """One line for a `machine` record: "AMD EPYC, 2 cores, avx512_bf16" (GPUs appended)."""
    parts = [record.get("cpu", "unknown CPU"), f"{record.get('cores', '?')} cores"]
    parts.append(", ".join(record.get("cpu_bfloat16") or []) or "no native bfloat16")
    if record.get("gpus"):
        parts.append("GPU: " + ", ".join(record["gpus"]))
    return ", ".join(parts)


def _gpu_details():
    """``(device, details)`` of every GPU TensorFlow sees (details: TensorFlow's dict, maybe empty)."""
    if not gpu_driver_present():
        return []  # TensorFlow could see none: not loaded to ask
    import tensorflow as tf

    return [(gpu, tf.config.experimental.get_device_details(gpu)) for gpu in tf.config.list_physical_devices("GPU")]


def gpu_names():
    """The name of every GPU TensorFlow sees (its device name where TensorFlow does not say)."""
    return [details.get("device_name", gpu.name) for gpu, details in _gpu_details()]


def gpu_compute_capabilities():
    """``(major, minor)`` of every GPU TensorFlow sees (``(0, 0)`` where it does not say)."""
    return [tuple(details.get("compute_capability") or (0, 0)) for _, details in _gpu_details()]


def gpu_driver_present():
    """Whether a GPU driver's device files exist (NVIDIA, WSL's GPU bridge, ROCm): the cheap half of "is there a GPU".

    False means no framework can see a GPU, so callers skip loading
    TensorFlow to ask; True still needs `tf.config.list_physical_devices`.
    """
    devices = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg", "/dev/kfd")
    return any(os.path.exists(path) for path in devices) or os.path.isdir("/proc/driver/nvidia/gpus")


def resolve_auto_precision(config, log=print):
    """Replaces ``training.mixed_precision = "auto"`` by what this machine runs fastest.

    With GPUs: ``mixed_float16`` when every one has tensor cores (compute
    capability 7.0 or later; TensorFlow's own mixed-precision guidance),
    else ``none``. Without: ``mixed_bfloat16`` on a CPU with native
    bfloat16 (measured 1.6x the float32 throughput of the fast net with
    ReLU on AMX, `benchmarks/precision.py`), else ``none`` (float32). Says
    which and why.
    """
    if config.training.mixed_precision != "auto":
        return config
    support = cpu_bfloat16_support()
    capabilities = gpu_compute_capabilities()
    if capabilities and min(capabilities) >= (7, 0):
        choice, why = "mixed_float16", "every GPU has tensor cores (compute capability >= 7.0)"
    elif capabilities:
        choice, why = "none", f"a GPU without tensor cores is visible (compute capability {min(capabilities)})"
    elif support:
        choice, why = "mixed_bfloat16", f"the CPU has {', '.join(support)}"
    else:
        choice, why = "none", "the CPU has no native bfloat16 (it would be emulated, slower)"
    log(f"mixed precision: {choice} ({why}; choose with --mixed-precision)")
    config.training.mixed_precision = choice
    return config

