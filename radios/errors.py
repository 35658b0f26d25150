"""Errors every device driver raises: one line each, naming the device and what went wrong."""

from __future__ import annotations


class DeviceError(Exception):
    """A device could not do what was asked. The message names the device (URI or port)."""


class DeviceUnavailableError(DeviceError):
    """The device is not connected (never reached, lost, or waiting out a reconnect back-off)."""


class DeviceTimeoutError(DeviceError):
    """The device accepted a command but did not answer in time (the link is dropped and reopened)."""


class DeviceRejectedError(DeviceError):
    """The device answered with an error code (e.g. Hamlib `RPRT -1`)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class DeviceConfigError(ValueError):
    """Bad device configuration or URI; the message names the field or the URI."""


class LimitError(ValueError):
    """A command outside the configured limits; nothing was sent."""
