#!/usr/bin/env python3
"""Puts every ```cpp block of a Markdown file into one translation unit.

readme_snippets.py README.md OUT_FILE: OUT_FILE holds, first, the #include
lines of all blocks, then each block's other lines in a namespace of its own
(readme_snippet_<n>, so that each may have its own main() and helpers; a
block's `int main(` becomes `void main(` there, as only ::main may end without
a return), each
starting with a #line directive so that a compiler error points at the
README line. One translation unit instead of one per block: most blocks
include LibTorch, whose headers take half a minute per unit to compile. The
file is rewritten only when its text changes. Every block must compile: that
is how the README's examples are kept from drifting.
"""
import pathlib
import sys


def main() -> int:
    readme = pathlib.Path(sys.argv[1])
    out = pathlib.Path(sys.argv[2])
    blocks = []
    current = None
    for number, line in enumerate(readme.read_text(encoding="utf-8").splitlines(), start=1):
        if current is None:
            if line.strip() == "```cpp":
                current = []
        elif line.strip() == "```":
            blocks.append(current)
            current = None
        else:
            current.append((number, line))
    if current is not None:
        print(f"{readme}: unterminated ```cpp block", file=sys.stderr)
        return 1
    source = str(readme.resolve())
    includes = []
    bodies = []
    for index, lines in enumerate(blocks, start=1):
        body = [f"namespace readme_snippet_{index} {{"]
        at = None
        for number, line in lines:
            if line.lstrip().startswith("#include"):
                if line.strip() not in includes:
                    includes.append(line.strip())
                continue
            if at != number:
                body.append(f'#line {number} "{source}"')
            # Only ::main may end without a return; in the namespace the
            # snippet's main becomes a function returning nothing.
            if line.startswith("int main("):
                line = "void main(" + line[len("int main("):]
            body.append(line)
            at = number + 1
        body.append(f"}}  // namespace readme_snippet_{index}")
        bodies.append("\n".join(body))
    text = "// Generated from README.md by tests/readme_snippets.py.\n" + "\n".join(includes) + "\n\n" + "\n\n".join(bodies) + "\n"
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    print(f"{len(blocks)} snippets", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
