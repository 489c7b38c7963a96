"""kerasreg.data: from a ``--data`` value to batched, augmented `tf.data` pipelines.

- `load_dataset(source, ...)` reads ``"cifar10"``/``"fashion_mnist"``
  (`keras.datasets`), ``"synthetic"``, or a path (a ``cifar-10-batches-py``
  folder or an image-folder tree, each also as a ``.tar.gz``, or a
  ``.npz``) into a `Dataset` of uint8 images and int64 labels; decoded
  folders and archives are cached as ``.npz``.
- `split_validation` carves a seeded, stratified validation split from
  the train arrays; `default_validation_size` says how large.
- `make_dataset` turns arrays into a shuffled, batched, prefetched
  `tf.data.Dataset`, augmented with Keras's preprocessing layers.
- `ArrayData` holds a user's own arrays of any shape and dtype (tabular,
  token ids, images, regression targets); `from_tf_datasets` reads finite
  `tf.data.Dataset`s into one.
- `DataError` is what goes wrong with the data itself, in one line.
"""

from kerasreg.data.arrays import ArrayData, from_tf_datasets
from kerasreg.data.augmentation import AUGMENTATIONS
from kerasreg.data.cache import default_cache_dir
from kerasreg.data.dataset import Dataset
from kerasreg.data.errors import DataError
from kerasreg.data.open_set import open_set_split
from kerasreg.data.pipeline import is_image, make_dataset
from kerasreg.data.sources import SOURCE_NAMES, load_dataset
from kerasreg.data.split import default_validation_size, split_validation

__all__ = [
    "AUGMENTATIONS",
    "ArrayData",
    "DataError",
    "Dataset",
    "SOURCE_NAMES",
    "default_cache_dir",
    "default_validation_size",
    "from_tf_datasets",
    "is_image",
    "load_dataset",
    "make_dataset",
    "open_set_split",
    "split_validation",
]
