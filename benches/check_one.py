#!/usr/bin/env python3
"""`infra check` of a one-resource program, as whole processes: wall time
and peak resident memory, against a baseline binary when one is given.

    cargo build --release
    python3 benches/check_one.py [--runs N] [--baseline BIN] [BIN]

BIN defaults to target/release/infra. The programs: one native type of
each target (`AWS::S3::Bucket`, `OS::Nova::Server`, `aws_s3_bucket`) and
one portable resource (`storage.Bucket`, every target). Each binary runs
each program N times (default 200), interleaved with the baseline's runs
so that both see the same load; the figures are medians (time) and
maxima (memory, `ru_maxrss` of each child, its own). The budget the
native schemas must keep (issue 14): no more than the baseline + 1 ms and
+ 5 MiB; the script exits 1 when a figure is over it.

Python 3 standard library only. Output: one line a program and binary.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

PROGRAMS = {
    "cloudformation": 'resource b: AWS::S3::Bucket {\n  BucketName = "logs"\n}\n',
    "heat": 'resource s: OS::Nova::Server {\n  flavor = "m1.small"\n  image = "cirros"\n}\n',
    "terraform": 'resource b: aws_s3_bucket {\n  bucket = "logs"\n}\n',
    "portable": "resource b: storage.Bucket {}\n",
}

TIME_BUDGET = 1e-3  # seconds
MEMORY_BUDGET = 5 * 1024  # KiB


def run(binary, path):
    """Wall time (s) and peak resident memory (KiB) of one `check`."""
    start = time.perf_counter()
    child = subprocess.Popen([binary, "check", path],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    err = child.stderr.read()
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("%s check %s failed:\n%s" % (binary, path, err.decode(errors="replace")))
    return wall, usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", nargs="?", default="target/release/infra")
    ap.add_argument("--baseline", help="the binary to compare with")
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    binaries = [args.binary] + ([args.baseline] if args.baseline else [])
    for b in binaries:
        if not os.access(b, os.X_OK):
            sys.exit("no binary at %s (cargo build --release)" % b)
    over = False
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in PROGRAMS.items():
            path = os.path.join(tmp, name + ".infra")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            figures = {b: ([], []) for b in binaries}
            for b in binaries:  # warm the page cache
                run(b, path)
            for _ in range(args.runs):
                for b in binaries:
                    wall, peak = run(b, path)
                    figures[b][0].append(wall)
                    figures[b][1].append(peak)
            result = {}
            for b in binaries:
                walls, peaks = figures[b]
                result[b] = (statistics.median(walls), max(peaks))
                print("%-15s %-40s median %.2f ms  peak %.1f MiB  (%d runs)"
                      % (name, b, result[b][0] * 1e3, result[b][1] / 1024, args.runs))
            if args.baseline:
                (t, m), (bt, bm) = result[args.binary], result[args.baseline]
                ok = t <= bt + TIME_BUDGET and m <= bm + MEMORY_BUDGET
                over |= not ok
                print("%-15s %+.2f ms, %+.1f MiB against the baseline: %s"
                      % (name, (t - bt) * 1e3, (m - bm) / 1024,
                         "within budget" if ok else "OVER BUDGET (+1 ms, +5 MiB)"))
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
