"""What this machine's CPU can do that a preset depends on."""


def cpu_bfloat16_support(cpuinfo="/proc/cpuinfo"):
    """The CPU's native bfloat16 instruction sets (``amx_bf16``, ``avx512_bf16``) found, as a tuple.

    Empty when there are none or the CPU flags cannot be read (not Linux):
    then bfloat16 would be emulated, slower than float32.
    """
    try:
        with open(cpuinfo) as handle:
            flags = next((line.split(":", 1)[1].split() for line in handle if line.startswith("flags")), [])
    except OSError:
        return ()
    return tuple(flag for flag in ("amx_bf16", "avx512_bf16") if flag in flags)


def gpu_compute_capabilities():
    """``(major, minor)`` of every GPU TensorFlow sees (``(0, 0)`` where it does not say)."""
    import tensorflow as tf

    found = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        found.append(tuple(details.get("compute_capability") or (0, 0)))
    return found


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

