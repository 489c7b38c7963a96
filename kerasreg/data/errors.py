"""`DataError`: a data source that cannot be loaded, said in one line."""


class DataError(Exception):
    """A data source could not be loaded.

    The message is one line meant for the person running the experiment: it
    names the source (path or name), what is wrong and what was expected.
    Command-line front ends print it and exit with status 2.
    """

    def __init__(self, message):
        super().__init__(" ".join(str(message).split()))
