#!/usr/bin/env python3
"""Writes every ```cpp block of a Markdown file to its own translation unit.

readme_snippets.py README.md OUT_DIR: OUT_DIR/snippet_<n>.cpp for the n-th
block (from 1), each starting with a #line directive so that a compiler error
points at the README line; stale snippet files are removed. Prints the paths,
one per line (CMake reads them at configure time). Every block must compile
on its own: that is how the README's examples are kept from drifting.
"""
import pathlib
import sys


def main() -> int:
    readme = pathlib.Path(sys.argv[1])
    out = pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    blocks = []
    current = None
    for number, line in enumerate(readme.read_text(encoding="utf-8").splitlines(), start=1):
        if current is None:
            if line.strip() == "```cpp":
                current = (number + 1, [])
        elif line.strip() == "```":
            blocks.append(current)
            current = None
        else:
            current[1].append(line)
    if current is not None:
        print(f"{readme}:{current[0] - 1}: unterminated ```cpp block", file=sys.stderr)
        return 1
    written = set()
    for index, (first, lines) in enumerate(blocks, start=1):
        path = out / f"snippet_{index}.cpp"
        text = f'#line {first} "{readme.resolve()}"\n' + "\n".join(lines) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")  # unchanged files keep their time stamp
        written.add(path.name)
        print(path)
    for stale in out.glob("snippet_*.cpp"):
        if stale.name not in written:
            stale.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
