"""`Augmentation`: Keras's preprocessing layers, set up once and applied to batches.

=============  ============================================================
name           what it does
=============  ============================================================
``flip``       `keras.layers.RandomFlip` ("horizontal"), per image.
``translate``  `keras.layers.RandomTranslation` by up to
               ``translate_pixels`` in each direction, zero fill, nearest
               pixels: the classic "pad and random crop" shift, drawn per
               image and applied to whole batches.
``crop``       zero-pad by ``translate_pixels``, then
               `keras.layers.RandomCrop` back to the image size. Keras's
               RandomCrop takes one window per call, so this runs per
               example, before batching (slower than ``translate``).
``erasing``    `keras.layers.RandomErasing`: with probability
               ``erasing_rate`` per image, a random patch becomes noise.
=============  ============================================================

`keras.layers.MixUp` and `keras.layers.CutMix` mix whole batches of
images and one-hot labels; with both on, each batch gets one of them.
"""

import keras
import numpy as np
import tensorflow as tf

AUGMENTATIONS = ("flip", "translate", "crop", "erasing")


class Augmentation:
    """The augmentation layers of one training pipeline.

    Args:
        image_shape: ``(height, width, channels)``.
        augment: Names from `AUGMENTATIONS`, applied in this order.
        translate_pixels: Integer, largest shift of ``translate``/``crop``;
            0 turns both off.
        erasing_rate: Float in [0, 1], per-image probability of
            ``erasing``; 0 turns it off.
        mixup_alpha: Float, MixUp's Beta parameter; 0 is off.
        cutmix_alpha: Float in [0, 1], CutMix's Beta parameter; 0 is off.
        seed: Integer or ``None``; each layer gets its own seed drawn
            from it (`numpy.random.SeedSequence`).
    """

    def __init__(self, image_shape, augment, *, translate_pixels, erasing_rate, mixup_alpha, cutmix_alpha, seed):
        height, width = image_shape[:2]
        seeds = iter(np.random.SeedSequence(seed).generate_state(8).tolist()) if seed is not None else None

        def layer_seed():
            return None if seeds is None else next(seeds) % 2**31

        self.padding = translate_pixels
        self.crop = None
        self.batch_layers = []
        for name in augment:
            if name == "flip":
                layer = keras.layers.RandomFlip("horizontal", seed=layer_seed(), dtype="float32")
                self.batch_layers.append(layer)
            elif name == "translate" and translate_pixels:
                layer = keras.layers.RandomTranslation(
                    translate_pixels / height,
                    translate_pixels / width,
                    fill_mode="constant",
                    interpolation="nearest",
                    fill_value=0.0,
                    seed=layer_seed(),
                    dtype="float32",
                )
                self.batch_layers.append(layer)
            elif name == "crop" and translate_pixels:
                self.crop = keras.layers.RandomCrop(height, width, seed=layer_seed(), dtype="float32")
            elif name == "erasing" and erasing_rate > 0:
                layer = keras.layers.RandomErasing(
                    factor=(erasing_rate, erasing_rate),  # exactly this probability
                    value_range=(0.0, 1.0),
                    seed=layer_seed(),
                    dtype="float32",
                )
                self.batch_layers.append(layer)
        self.mixers = []
        if mixup_alpha > 0:
            self.mixers.append(keras.layers.MixUp(alpha=mixup_alpha, seed=layer_seed(), dtype="float32"))
        if cutmix_alpha > 0:
            # factor=(a, a): the mixing weight is drawn from Beta(a, a).
            factor = (cutmix_alpha, cutmix_alpha)
            self.mixers.append(keras.layers.CutMix(factor=factor, seed=layer_seed(), dtype="float32"))
        self.choice = None
        if len(self.mixers) == 2:
            choice_seed = layer_seed()
            self.choice = (
                tf.random.Generator.from_non_deterministic_state()
                if choice_seed is None
                else tf.random.Generator.from_seed(choice_seed)
            )

    @property
    def random(self):
        """Whether any layer draws random numbers."""
        return bool(self.batch_layers or self.crop or self.mixers)

    def crop_example(self, image, label):
        """Zero-pad one uint8 image by the shift range and crop a random window back."""
        padding = [[self.padding, self.padding], [self.padding, self.padding], [0, 0]]
        image = self.crop(tf.pad(tf.cast(image, tf.float32), padding), training=True)
        return tf.cast(tf.round(image), tf.uint8), label

    def augment_batch(self, images, labels):
        """Augment a float32 batch in [0, 1]; labels must be one-hot when mixing."""
        for layer in self.batch_layers:
            images = layer(images, training=True)
        if len(self.mixers) == 2:
            mixup, cutmix = self.mixers
            return tf.cond(
                self.choice.uniform(()) < 0.5,
                lambda: _mix(mixup, images, labels),
                lambda: _mix(cutmix, images, labels),
            )
        if self.mixers:
            return _mix(self.mixers[0], images, labels)
        return images, labels


def _mix(layer, images, labels):
    mixed = layer({"images": images, "labels": labels}, training=True)
    return mixed["images"], mixed["labels"]
