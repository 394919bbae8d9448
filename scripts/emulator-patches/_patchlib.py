"""Shared by the emulator patches: exact, idempotent, loud text replacement in
the installed emulator package (MiniStack by default; LocalStack's patches
pass their package)."""
import importlib
import pathlib
import sys


def patch(rel, old, new, package="ministack"):
    mod = importlib.import_module(package)
    # localstack is a namespace package: no __file__; the portion holding rel.
    roots = [pathlib.Path(mod.__file__).parent] if mod.__file__ else [pathlib.Path(p) for p in mod.__path__]
    path = next((r / rel for r in roots if (r / rel).is_file()), roots[0] / rel)
    text = path.read_text()
    if new in text:
        return
    if text.count(old) != 1:
        sys.exit(f"emulator patch: anchor not found exactly once in {package}/{rel}; re-review the patch for this {package} version")
    path.write_text(text.replace(old, new))
    print(f"patched {package}/{rel}")
