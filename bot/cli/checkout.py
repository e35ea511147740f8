"""`okrbot bench` and `okrbot demo`: tools that run from a source checkout (benchmarks/, devtools/, tests/fakes/)."""

import asyncio
import sys
from pathlib import Path


def _on_checkout_path(command: str, entry: str, folder: str) -> bool:
    """Put the source checkout on sys.path; False (said in one line) when `entry` or tests/fakes is missing.

    benchmarks/, devtools/ and tests/ (the fake Slack) ship with the checkout, not the package: they are
    imported from there."""
    root = Path(__file__).resolve().parents[2]
    if not (root / entry).is_file() or not (root / "tests" / "fakes").is_dir():
        print(f"okrbot: {command} runs from a source checkout (it needs {folder}/ and tests/fakes/)", file=sys.stderr)
        return False
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return True


def bench_command(settings, args) -> int:
    if not _on_checkout_path("bench", "benchmarks/__main__.py", "benchmarks"):
        return 2
    from benchmarks.__main__ import BENCHMARKS
    from benchmarks.__main__ import main as bench_main

    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        print(f"okrbot: no benchmark named {unknown[0]!r}; choose from: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    return bench_main([*args.names, *(["--tiny"] if args.tiny else [])])


def demo_command(settings, args) -> int:
    """The demo runs the real app against tests/fakes, with its own temporary database and settings."""
    import logging

    if not _on_checkout_path("demo", "devtools/demo.py", "devtools"):
        return 2
    logging.getLogger().setLevel(logging.ERROR)  # the story is the output; problems still show
    if args.platform == "teams":
        import warnings

        from devtools.teams_demo import run_teams_demo

        warnings.simplefilter("ignore")  # the Teams SDK's preview notices are not the story
        asyncio.run(run_teams_demo())
    else:
        from devtools.demo import run_demo

        asyncio.run(run_demo())
    return 0
