"""Print a benchmark's table and write benchmarks/results/NAME.json."""

import json
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def machine() -> dict:
    mem_kb = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(f.readline().split()[1])
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "processor": platform.processor() or platform.machine(),
    }


@dataclass
class Result:
    name: str
    title: str
    size: dict
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # metric, value, target
    data: dict = field(default_factory=dict)

    def add(self, metric: str, value, target: str = "", **raw) -> None:
        shown = f"{value:,.2f}" if isinstance(value, float) else str(value)
        self.rows.append((metric, shown, target))
        self.data[metric] = value
        self.data.update(raw)

    def print(self) -> None:
        width = max([len(r[0]) for r in self.rows] + [6])
        print(f"\n## {self.title}  ({', '.join(f'{k}={v}' for k, v in self.size.items())})")
        print(f"{'metric':<{width}}  {'value':>14}  target")
        for metric, value, target in self.rows:
            print(f"{metric:<{width}}  {value:>14}  {target}")

    def save(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        payload = {"name": self.name, "size": self.size, "metrics": self.data, "machine": machine()}
        path.write_text(json.dumps(payload, indent=2, default=str))
        return path
