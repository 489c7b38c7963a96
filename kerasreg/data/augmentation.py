"""`Augmentation`: Keras's preprocessing layers, set up once and applied to batches.

=============  ============================================================
name           what it does
=============  ============================================================
``flip``       `keras.layers.RandomFlip` ("horizontal"), per image.
``alternating_flip``
               airbench94's derandomized flip, done by the pipeline (it
               needs the example and the epoch): each image is mirrored
               in every other epoch, starting from a seeded random half.
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
import tensorflow as tf

from kerasreg import internals
AUGMENTATIONS = ("flip", "alternating_flip", "translate", "crop", "erasing")


class Augmentation:
    """The augmentation layers of one training pipeline, reseeded per batch.

    Keras's layers draw their random numbers from a seed state that each
    draw advances. Before a batch is augmented, every layer's state is set
    to a seed derived from the batch's own seed, so the result depends only
    on that seed, never on how many batches came before (what makes a
    resumed run repeat an uninterrupted one). Batches must therefore be
    augmented one at a time (a sequential ``map``).

    Args:
        image_shape: ``(height, width, channels)``.
        augment: Names from `AUGMENTATIONS`, applied in this order.
        translate_pixels: Integer, largest shift of ``translate``/``crop``;
            0 turns both off.
        erasing_rate: Float in [0, 1], per-image probability of
            ``erasing``; 0 turns it off.
        mixup_alpha: Float, MixUp's Beta parameter; 0 is off.
        cutmix_alpha: Float in [0, 1], CutMix's Beta parameter; 0 is off.
    """

    def __init__(self, image_shape, augment, *, translate_pixels, erasing_rate, mixup_alpha, cutmix_alpha):
        height, width = image_shape[:2]
        self.padding = translate_pixels
        self.crop = None
        self.batch_layers = []
        for name in augment:
            if name == "flip":
                self.batch_layers.append(keras.layers.RandomFlip("horizontal", dtype="float32"))
            elif name == "translate" and translate_pixels:
                layer = keras.layers.RandomTranslation(
                    translate_pixels / height,
                    translate_pixels / width,
                    fill_mode="constant",
                    interpolation="nearest",
                    fill_value=0.0,
                    dtype="float32",
                )
                self.batch_layers.append(layer)
            elif name == "crop" and translate_pixels:
                self.crop = keras.layers.RandomCrop(height, width, dtype="float32")
            elif name == "erasing" and erasing_rate > 0:
                layer = keras.layers.RandomErasing(
                    factor=(erasing_rate, erasing_rate),  # exactly this probability
                    value_range=(0.0, 1.0),
                    dtype="float32",
                )
                self.batch_layers.append(layer)
        self.mixers = []
        if mixup_alpha > 0:
            self.mixers.append(keras.layers.MixUp(alpha=mixup_alpha, dtype="float32"))
        if cutmix_alpha > 0:
            # factor=(a, a): the mixing weight is drawn from Beta(a, a).
            self.mixers.append(keras.layers.CutMix(factor=(cutmix_alpha, cutmix_alpha), dtype="float32"))
        layers = ([self.crop] if self.crop is not None else []) + self.batch_layers + self.mixers
        # The state each layer draws from inside tf.data, where it always runs
        # on TensorFlow. `_get_seed_generator` is the hook Keras's DataLayer
        # documents for this; calling it here, eagerly, creates the TensorFlow
        # generator up front when Keras runs on another backend (no variable
        # may be created inside tf.data).
        self._states = {id(layer): _tensorflow_seed_state(layer) for layer in layers}

    @property
    def random(self):
        """Whether any layer draws random numbers."""
        return bool(self.batch_layers or self.crop or self.mixers)

    def _reseed(self, layer, seed):
        state = self._states[id(layer)]
        return state.assign(tf.cast(seed, state.dtype))

    def augment_batch(self, images, labels, batch_seed):
        """Augment a float32 batch in [0, 1] from its ``[2]`` int64 seed; labels one-hot when mixing."""
        seeds = iter(range(1, 1 << 30))

        def derived():
            return tf.random.experimental.stateless_fold_in(batch_seed, next(seeds))

        if self.crop is not None:
            images = self._crop_examples(images, derived())
        for layer in self.batch_layers:
            with tf.control_dependencies([self._reseed(layer, derived())]):
                images = layer(images, training=True)
        if len(self.mixers) == 2:
            mixup, cutmix = self.mixers
            choice = tf.random.stateless_uniform((), seed=derived())
            mixup_seed, cutmix_seed = derived(), derived()
            return tf.cond(
                choice < 0.5,
                lambda: self._mix(mixup, images, labels, mixup_seed),
                lambda: self._mix(cutmix, images, labels, cutmix_seed),
            )
        if self.mixers:
            return self._mix(self.mixers[0], images, labels, derived())
        return images, labels

    def _crop_examples(self, images, seed):
        # Keras's RandomCrop takes one window per call: crop example by example.
        padding = [[0, 0], [self.padding, self.padding], [self.padding, self.padding], [0, 0]]
        padded = tf.pad(images, padding)

        def crop(args):
            image, index = args
            with tf.control_dependencies([self._reseed(self.crop, tf.random.experimental.stateless_fold_in(seed, index))]):
                return self.crop(image, training=True)

        indices = tf.range(tf.shape(images, out_type=tf.int64)[0])
        return tf.map_fn(crop, (padded, indices), fn_output_signature=images.dtype, parallel_iterations=1)

    def _mix(self, layer, images, labels, seed):
        with tf.control_dependencies([self._reseed(layer, seed)]):
            mixed = layer({"images": images, "labels": labels}, training=True)
        return mixed["images"], mixed["labels"]


def _tensorflow_seed_state(layer):
    # As Keras does when the layer runs in tf.data: switch its backend to
    # TensorFlow, so the generator (and its state variable) is TensorFlow's.
    layer.backend.set_backend("tensorflow")
    try:
        return internals.tensorflow_seed_generator_state(layer)
    finally:
        layer.backend.reset()
