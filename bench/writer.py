#!/usr/bin/env python3
"""The script floor: a Python program that only writes the bytes fluxgen wrote.

Reads a bundle (as bench/floor.rs does: for each file its relative path, a newline, its length
in bytes, a newline, the bytes) and writes every file below OUT_DIR, directories made as needed,
each file created and written once: no config, no YAML, no checks, no temporary file, no flush.
What the simplest script that already had the output would take.

    writer.py BUNDLE OUT_DIR
"""

import os
import sys


def main():
    bundle, out = sys.argv[1], sys.argv[2]
    with open(bundle, "rb") as f:
        data = f.read()
    made = set()
    at = 0
    while at < len(data):
        end = data.index(b"\n", at)
        path = data[at:end].decode()
        at = end + 1
        end = data.index(b"\n", at)
        length = int(data[at:end])
        at = end + 1
        target = os.path.join(out, path)
        parent = os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        with open(target, "wb") as f:
            f.write(data[at:at + length])
        at += length


if __name__ == "__main__":
    main()
