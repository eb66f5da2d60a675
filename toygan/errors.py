"""The one exception type toygan raises for a user's mistake."""


class ToyganError(ValueError):
    """A bad value, file or option, described in one line.

    The message names the field (or file), the value given and what is allowed; the CLI prints it
    and exits with status 2.
    """
