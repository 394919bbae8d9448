"""Shared by the emulator patches: exact, idempotent, loud text replacement in
the installed MiniStack package."""
import pathlib
import sys

import ministack

ROOT = pathlib.Path(ministack.__file__).parent


def patch(rel, old, new):
    path = ROOT / rel
    text = path.read_text()
    if new in text:
        return
    if text.count(old) != 1:
        sys.exit(f"emulator patch: anchor not found exactly once in {rel}; re-review the patch for this MiniStack version")
    path.write_text(text.replace(old, new))
    print(f"patched {rel}")
