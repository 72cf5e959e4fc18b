"""How many local jobs fit on this machine, and how many slots one job takes.

A *slot* is the local stand-in for one ``ml.m5.large`` (2 vCPU, 8 GiB on AWS): the machine
has ``min(cores, usable memory / SLOT_MEMORY_MB)`` of them, less the memory that running
endpoint servers hold. A job takes as many slots as its instance type has ``ml.m5.large``
worth of vCPUs or memory (AWS's instance table below), never more than the machine has, so
a big instance type still runs, alone. A workspace can set its own number of slots
(``settings.json``: ``{"local_slots": N}``, written by ``sagestep capacity --slots N``).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SLOT_VCPUS = 2
SLOT_MEMORY_GIB = 8
SLOT_MEMORY_MB = 1024  # what one local job process may use of the host's memory
MEMORY_SHARE = 0.75  # leave a quarter of the host's memory to everything else
SETTINGS_FILE = "settings.json"
SLOTS_SETTING = "local_slots"

# https://aws.amazon.com/sagemaker/pricing/ (instance details): vCPU and memory (GiB) per
# size of the common families; other sizes follow AWS's naming (xlarge = 4 vCPU, Nxlarge = 4N).
_FAMILY_GIB_PER_VCPU = {"t2": 2, "t3": 2, "c4": 1.875, "c5": 2, "c5d": 2, "c6i": 2, "c7i": 2,
                        "m4": 4, "m5": 4, "m5d": 4, "m6i": 4, "m7i": 4, "r5": 8, "r5d": 8,
                        "r6i": 8, "r7i": 8, "g4dn": 4, "g5": 4, "p2": 15.25, "p3": 7.625,
                        "inf1": 2, "trn1": 4}
_SIZES = {"medium": 1, "large": 2, "xlarge": 4}
_TYPE = re.compile(r"^ml\.([a-z0-9]+)\.(\d*)(medium|large|xlarge)$")
_EXPLICIT = {"ml.t2.medium": (2, 4), "ml.t3.medium": (2, 4), "ml.p3.2xlarge": (8, 61),
             "ml.p2.xlarge": (4, 61), "ml.m4.xlarge": (4, 16)}


def instance_shape(instance_type: str) -> tuple[int, float]:
    """(vCPU, memory GiB) of an ``ml.*`` instance type ((2, 8) when it cannot be read)."""
    if instance_type in _EXPLICIT:
        return _EXPLICIT[instance_type]
    found = _TYPE.match(instance_type or "")
    if found is None:
        return SLOT_VCPUS, SLOT_MEMORY_GIB
    family, times, size = found.groups()
    vcpus = _SIZES[size] * (int(times) if times else 1)
    return vcpus, vcpus * _FAMILY_GIB_PER_VCPU.get(family, 4)


def slots_for(instance_type: str, total: int) -> int:
    """Slots a job on ``instance_type`` takes on a machine of ``total`` slots."""
    vcpus, memory = instance_shape(instance_type)
    wanted = max(1, math.ceil(vcpus / SLOT_VCPUS), math.ceil(memory / SLOT_MEMORY_GIB))
    return min(wanted, max(1, total))


def job_instance_type(doc: Mapping[str, Any]) -> str:
    """The instance type a training/processing/transform job record asks for."""
    for path in (("ResourceConfig",), ("ProcessingResources", "ClusterConfig"),
                 ("TransformResources",)):
        node: Any = doc
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and isinstance(node.get("InstanceType"), str):
            return str(node["InstanceType"])
    return "ml.m5.large"


def memory_mb() -> int:
    """The host's total memory in MiB (from /proc/meminfo; 4 GiB when unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 4096


def rss_mb(pid: int) -> int:
    """Resident memory of process ``pid`` in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass(frozen=True)
class Capacity:
    """The machine's job slots: a fixed number (workspace setting) or cores and memory."""

    fixed: int | None = None
    cores: int = 1
    memory_mb: int = 4096

    @classmethod
    def of_machine(cls, fixed: int | None = None) -> Capacity:
        return cls(fixed, os.cpu_count() or 1, memory_mb())

    def total(self, reserved_mb: int = 0) -> int:
        """Slots now, with ``reserved_mb`` held by endpoint servers (at least one slot)."""
        if self.fixed is not None:
            return max(1, self.fixed)
        by_memory = (self.memory_mb * MEMORY_SHARE - reserved_mb) // SLOT_MEMORY_MB
        return max(1, min(self.cores, int(by_memory)))


def read_slots(root: Path) -> int | None:
    """The workspace's ``local_slots`` setting, or None."""
    try:
        data = json.loads((root / SETTINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get(SLOTS_SETTING) if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def write_slots(root: Path, slots: int | None) -> None:
    """Set (or with None, clear) the workspace's ``local_slots`` setting."""
    path = root / SETTINGS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    if slots is None:
        data.pop(SLOTS_SETTING, None)
    else:
        data[SLOTS_SETTING] = int(slots)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
