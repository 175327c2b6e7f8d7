"""Workload analysis: parameters, weight and KV-cache bytes, FLOPs and bytes per token,
and the roofline on a device."""

from .device import DeviceSpec, MemoryTier, device_presets, load_device
from .precision import PRECISIONS, Precision, parse_precision

__all__ = ["DeviceSpec", "MemoryTier", "device_presets", "load_device", "PRECISIONS",
           "Precision", "parse_precision"]
