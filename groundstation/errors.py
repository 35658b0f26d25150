"""Errors the CLI turns into one-line messages and exit code 2."""


class InputError(Exception):
    """Bad user input: the message names what and where (file:line, field), on one line."""
