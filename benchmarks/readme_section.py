"""Shared by the benchmark scripts: replace one generated section of benchmarks/README.md."""

import os
import re

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md")


def write_section(name, text, readme=README):
    """Puts `text` between <!-- name:begin --> and <!-- name:end --> in `readme`,
    replacing what was there, or appends the marked block if the markers are missing."""
    begin, end = "<!-- %s:begin -->" % name, "<!-- %s:end -->" % name
    block = begin + "\n" + text.rstrip("\n") + "\n" + end
    try:
        with open(readme) as f:
            txt = f.read()
    except FileNotFoundError:
        txt = "# probust benchmarks\n"
    if begin in txt and end in txt:
        txt = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, txt, flags=re.S)
    else:
        txt = txt.rstrip("\n") + "\n\n" + block + "\n"
    with open(readme, "w") as f:
        f.write(txt)


def publish(name, text, write_readme=True):
    """Prints `text` and, unless write_readme is false (the scripts' --no-readme), puts it
    into section `name` of benchmarks/README.md."""
    print(text)
    if write_readme:
        write_section(name, text)
