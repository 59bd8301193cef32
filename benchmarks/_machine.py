"""What a benchmark ran on: speed ratios between backends depend on the CPU's vector instructions
(onnxruntime's int8 kernels gain most with VNNI), so results record them."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path


def machine() -> dict:
    flags: set[str] = set()
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    simd = sorted(f for f in flags if f in {"avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8"})
    return {"cpu": model, "simd": simd, "cores": os.cpu_count()}


def save_result(path: Path, result: dict) -> None:
    """Writes a benchmark's JSON result beside the others and prints it as the last line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))
