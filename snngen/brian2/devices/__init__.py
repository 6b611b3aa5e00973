"""``brian2.devices``: ``device``, ``set_device`` (see :mod:`snngen.brian2.devices.device`)."""

from .device import device, get_device, reinit_devices, reset_device, set_device  # noqa: F401
