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


def resolve_auto_precision(config, log=print):
    """Replaces ``training.mixed_precision = "auto"`` by what this machine runs fastest.

    ``mixed_bfloat16`` on a CPU with native bfloat16 and no GPU (measured
    1.6x the float32 throughput of the cpu preset's ReLU net with AMX,
    `benchmarks/precision.py`), else ``none`` (float32). Says which and why.
    """
    if config.training.mixed_precision != "auto":
        return config
    import tensorflow as tf

    support = cpu_bfloat16_support()
    if tf.config.list_physical_devices("GPU"):
        choice, why = "none", "a GPU is visible; choose mixed_float16 or mixed_bfloat16 explicitly"
    elif support:
        choice, why = "mixed_bfloat16", f"the CPU has {', '.join(support)}"
    else:
        choice, why = "none", "the CPU has no native bfloat16 (it would be emulated, slower)"
    log(f"mixed precision: {choice} ({why}; choose with --mixed-precision)")
    config.training.mixed_precision = choice
    return config

