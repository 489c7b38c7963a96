"""The names and counts ``evaluate --shift`` takes, checked before TensorFlow or Keras load."""

from kerasreg.config.errors import ConfigError

# `kerasreg.uncertainty.corruptions.CORRUPTIONS`, in its order; a test keeps the two equal.
CORRUPTION_NAMES = ("gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "defocus_blur",
                    "gaussian_blur", "zoom_blur", "brightness", "contrast", "saturate", "elastic_transform",
                    "pixelate", "jpeg_compression")  # fmt: skip


def check_shift_flags(shift, corruptions, shift_examples):
    """``corruptions`` and ``shift_examples`` need ``shift``; corruption names and counts must be known ones."""
    if not shift and (corruptions or shift_examples is not None):
        raise ConfigError("--corruptions and --shift-examples apply to --shift only")
    for name in corruptions or ():
        if name not in CORRUPTION_NAMES:
            raise ConfigError(f"unknown corruption {name!r}; choose from {', '.join(CORRUPTION_NAMES)}")
    if shift_examples is not None and (isinstance(shift_examples, bool) or not isinstance(shift_examples, int)
                                       or shift_examples < 1):  # fmt: skip
        raise ConfigError(f"--shift-examples must be an integer >= 1; got {shift_examples!r}")
