#!/usr/bin/env python3
"""The measuring half of bench/run: checks the baselines write what fluxgen writes, times every
scenario as whole processes (hyperfine, or a perf_counter_ns driver without it), takes each
one's peak RSS (GNU time's %M, or wait4's ru_maxrss without it) and prints the Markdown table.

bench/run prepares everything (build, venv, configs) and then runs this; see bench/README.md.
"""

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MS = 1e3


# --------------------------------------------------------------------------------------------
# Running and timing

class Runner:
    def __init__(self, timer, log_path):
        self.timer = timer
        self.log = open(log_path, "a", encoding="utf-8")
        self.gnu_time = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

    def times(self, cmd, runs, warmup=0, prepare=None, cwd=None):
        """Wall-clock seconds of `runs` runs of cmd (a list), each after `prepare` (a list)."""
        if self.timer == "hyperfine":
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                args = ["hyperfine", "-N", "--style", "basic", "--runs", str(runs),
                        "--warmup", str(warmup), "--export-json", out.name]
                if prepare:
                    args += ["--prepare", shlex.join(prepare)]
                args.append(shlex.join(cmd))
                self.log.write(f"\n$ {shlex.join(args)}\n")
                self.log.flush()
                subprocess.run(args, check=True, cwd=cwd, stdout=self.log, stderr=self.log)
                with open(out.name, encoding="utf-8") as f:
                    return json.load(f)["results"][0]["times"]
        result = []
        self.log.write(f"\n$ [python timer] {shlex.join(cmd)} x{runs}\n")
        for i in range(warmup + runs):
            if prepare:
                subprocess.run(prepare, check=True, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            start = time.perf_counter_ns()
            subprocess.run(cmd, check=True, cwd=cwd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            elapsed = (time.perf_counter_ns() - start) / 1e9
            if i >= warmup:
                result.append(elapsed)
        return result

    def compare(self, entries, runs, warmup=1, rounds=3):
        """Times several commands side by side: `rounds` rounds, each timing every entry in
        turn (runs/rounds runs each), so that a change of the machine's load over the
        scenario falls on all of them alike. entries: [(name, cmd, prepare, cwd)].
        Returns {name: [seconds]}."""
        times = {name: [] for name, *_ in entries}
        rounds = max(1, min(rounds, runs))
        for round_ in range(rounds):
            share = runs // rounds + (1 if round_ < runs % rounds else 0)
            for name, cmd, prepare, cwd in entries:
                times[name] += self.times(cmd, share, warmup=warmup if round_ == 0 else 0,
                                          prepare=prepare, cwd=cwd)
        return times

    def peak_rss_kib(self, cmd, prepare=None, cwd=None):
        """Peak resident set size of one run, in KiB."""
        if prepare:
            subprocess.run(prepare, check=True, cwd=cwd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if self.gnu_time:
            with tempfile.NamedTemporaryFile(mode="r", suffix=".txt") as out:
                subprocess.run([self.gnu_time, "-f", "%M", "-o", out.name, *cmd], check=True,
                               cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                return int(out.read().strip().splitlines()[-1])
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise subprocess.CalledProcessError(status, cmd)
        return usage.ru_maxrss


class Result:
    def __init__(self, times=None, rss=None, note=None):
        self.times = times or []
        self.rss = rss
        self.note = note

    @property
    def median(self):
        return statistics.median(self.times) if self.times else None


# --------------------------------------------------------------------------------------------
# Trees

def snapshot(root):
    """Every file and directory under root with its inode, mtime and size."""
    entries = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            entries[os.path.relpath(path, root)] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return entries


def changed_entries(before, after):
    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k) != after.get(k))


def same_trees(a, b):
    """Differences between two trees (diff -r), or [] when equal."""
    proc = subprocess.run(["diff", "-r", a, b], capture_output=True, text=True)
    return proc.stdout.splitlines() if proc.returncode else []


def set_aside(path, trash):
    """Moves a tree out of the way, into `trash` (a directory on the same file system), and
    flushes, so the next run writes into an empty place. The tree is not deleted: on ext4
    without a journal (this VM's disk) the inode allocator passes over every inode deleted in the
    last 60 s (360 s while its inode table block is dirty) one at a time (`recently_deleted`
    under `find_inode_bit`, RECENTCY_MIN and RECENTCY_DIRTY in fs/ext4/ialloc.c), so writing
    11,000 files right after deleting 11,000 cost every tool about 5 s of system time (`perf
    record` of bench/floor.rs: 52% of its samples there), more than the writing itself, and made
    the disk rows a measure of the harness. bench/run empties the trash after the table."""
    p, t = shlex.quote(path), shlex.quote(trash)
    return ["sh", "-c", f'[ ! -e {p} ] || mv {p} "$(mktemp -d -p {t})"; sync']


# --------------------------------------------------------------------------------------------
# Formatting

def fmt_time(seconds):
    if seconds is None:
        return "—"
    ms = seconds * MS
    if ms < 10:
        return f"{ms:.2f} ms"
    if ms < 1000:
        return f"{ms:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_spread(times):
    if not times:
        return "—"
    if len(times) == 1:
        return f"{fmt_time(times[0])} (1 run)"
    return f"{fmt_time(statistics.median(times))} ({fmt_time(min(times))}–{fmt_time(max(times))}, {len(times)} runs)"


def fmt_rss(kib):
    return "—" if kib is None else f"{kib / 1024:.1f} MiB"


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    r = a / b
    return f"{r:.3f}×" if r < 0.1 else f"{r:.2f}×"


# --------------------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--fluxgen", required=True)
    p.add_argument("--python", required=True, help="the bench venv's python (jinja2, pyyaml)")
    p.add_argument("--makejinja", help="makejinja executable, if installed")
    p.add_argument("--floor", help="bench/floor.rs built: writes a bundle of files, nothing else")
    p.add_argument("--work", required=True)
    p.add_argument("--bench", required=True, help="the bench/ directory")
    p.add_argument("--timer", choices=["hyperfine", "python"], required=True)
    p.add_argument("--quick", action="store_true", help="fewer runs (a smoke test of the harness)")
    a = p.parse_args()

    work, bench = a.work, a.bench
    load_at_start = os.getloadavg()
    fluxgen = a.fluxgen
    jinja = [a.python, os.path.join(bench, "baseline_jinja.py")]
    runner = Runner(a.timer, os.path.join(work, "bench.log"))

    def runs(n):
        return max(2, n // 4) if a.quick else n

    def fg(cfg, *args):
        return [fluxgen, "-c", cfg, *args]

    def jj(cfg, *args):
        return [*jinja, "-c", cfg, *args]

    def say(msg):
        print(msg, file=sys.stderr, flush=True)

    mj_env = dict(os.environ, MAKEJINJA_SETTINGS=os.path.join(bench, "makejinja.toml"))

    def makejinja_script(cfg_dir, n_clusters, name):
        """A shell script running makejinja once per cluster (as cluster-template users do)."""
        sys.path.insert(0, bench)
        from make_config import cluster_names  # noqa: E402
        lines = ["#!/bin/sh", "set -e", f"export MAKEJINJA_SETTINGS={shlex.quote(mj_env['MAKEJINJA_SETTINGS'])}"]
        cfg = os.path.join(cfg_dir, "fluxgen.yaml")
        for c in cluster_names(n_clusters):
            out = os.path.join(cfg_dir, "kubernetes", c, "apps", "flux-system")
            lines.append(shlex.join([a.makejinja, "-d", cfg, "-D", f"cluster={c}", "-o", out]))
        path = os.path.join(work, f"{name}.sh")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return ["sh", path]

    def aside(path, into=None):
        """set_aside into the trash of `into` (the work directory by default)."""
        trash = os.path.join(into or work, "trash")
        os.makedirs(trash, exist_ok=True)
        return set_aside(path, trash)

    def run(cmd, **kw):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)

    # ---- 1. Same output: fluxgen, the Jinja2 baseline and makejinja on 3 clusters -----------
    say("== checking that the baselines write the same files as fluxgen (3 clusters)")
    eq = os.path.join(work, "equal")
    failures = []
    for variant in ["fluxgen", "jinja", "makejinja"] if a.makejinja else ["fluxgen", "jinja"]:
        d = os.path.join(eq, variant)
        os.makedirs(d, exist_ok=True)
        shutil.copy(os.path.join(work, "c3", "fluxgen.yaml"), d)
        cfg = os.path.join(d, "fluxgen.yaml")
        if variant == "fluxgen":
            run(fg(cfg, "emit", "--all"))
        elif variant == "jinja":
            run(jj(cfg, "emit", "--all"))
        else:
            run(makejinja_script(d, 3, "makejinja-equal"), env=mj_env)
    ref = os.path.join(eq, "fluxgen")
    for variant in ["jinja", "makejinja"] if a.makejinja else ["jinja"]:
        diff = same_trees(ref, os.path.join(eq, variant))
        if diff:
            failures.append((f"{variant} tree", diff))
        else:
            say(f"   {variant}: same paths and bytes as fluxgen emit --all "
                f"({sum(1 for _ in snapshot(ref))} entries)")
    cfg3 = os.path.join(work, "c3", "fluxgen.yaml")
    s_fg = subprocess.run(fg(cfg3, "emit", "edge"), capture_output=True, check=True).stdout
    s_jj = subprocess.run(jj(cfg3, "emit", "edge"), capture_output=True, check=True).stdout
    if s_fg != s_jj:
        with open(os.path.join(eq, "stream.fluxgen"), "wb") as f:
            f.write(s_fg)
        with open(os.path.join(eq, "stream.jinja"), "wb") as f:
            f.write(s_jj)
        diff = subprocess.run(["diff", os.path.join(eq, "stream.fluxgen"), os.path.join(eq, "stream.jinja")],
                              capture_output=True, text=True).stdout.splitlines()
        failures.append(("jinja stdout stream of `emit edge`", diff))
    else:
        say("   jinja: same stdout stream as fluxgen emit edge")
    if failures:
        for what, diff in failures:
            say(f"error: the {what} differs from fluxgen's:")
            for line in diff[:60]:
                say(f"   {line}")
        say("error: a baseline that writes other bytes is no baseline: fix bench/templates or "
            "bench/baseline_jinja.py first")
        sys.exit(1)

    # ---- 2. Scenarios ------------------------------------------------------------------------
    # Every scenario times fluxgen side by side (interleaved rounds) with what it is compared
    # with; the table shows fluxgen's time and, for each comparison, the ratio first.
    rows = []
    FLOOR, CP, WRITER, JINJA, MAKEJINJA = "floor", "cp -r", "Python writer", "Jinja2 script", "makejinja"
    columns = [FLOOR, CP, WRITER, JINJA, MAKEJINJA]
    writer = [a.python, os.path.join(bench, "writer.py")]

    def row(label, fluxgen_result, others=None, targets=()):
        others = {k: v for k, v in (others or {}).items() if v is not None}
        rows.append((label, fluxgen_result, others, list(targets)))
        say(f"   {label}: fluxgen {fmt_time(fluxgen_result.median) if fluxgen_result else '—'}"
            + "".join(f", {k} {fmt_time(v.median)}" for k, v in others.items() if v.times))

    def ratio_at_most(column, limit):
        """A target: fluxgen's median at most `limit` times the column's, in the same run."""
        def met(fg_result, others):
            other = others.get(column)
            if not (fg_result and fg_result.times and other and other.times):
                return None
            return fg_result.median <= limit * other.median
        return (f"≤ {limit:g}× {column}", met)

    def absolute(text, predicate):
        def met(fg_result, _others):
            return predicate(fg_result) if fg_result and fg_result.times else None
        return (text, met)

    def side_by_side(entries, n, warmup=1):
        """Times entries [(name, cmd, prepare, cwd)] side by side; fluxgen's is the first."""
        times = runner.compare(entries, runs(n), warmup=warmup)
        results = {name: Result(times[name]) for name, *_ in entries}
        first, cmd, prepare, cwd = entries[0]
        results[first].rss = runner.peak_rss_kib(cmd, prepare=prepare, cwd=cwd)
        return results

    def tree_dirs(n, tool):
        """A directory of its own per tool, with the config (and the changed variant) copied in."""
        d = os.path.join(work, f"{tool}{n}")
        if os.path.isdir(d):
            aside(d)
        os.makedirs(d)
        for name in ("fluxgen.yaml", "fluxgen-changed.yaml"):
            shutil.copy(os.path.join(work, f"c{n}", name), d)
        return d, os.path.join(d, "fluxgen.yaml"), os.path.join(d, "fluxgen-changed.yaml")

    def write_floors(tree_dir, n, into=None):
        """The floors of writing the files fluxgen wrote under tree_dir/kubernetes into an empty
        tree (below `into`, by default the work directory): bench/floor.rs and bench/writer.py
        reading them from one bundle, and `cp -r`."""
        into = into or work
        bundle = os.path.join(into, f"bundle{n}")
        with open(bundle, "wb") as out:
            for directory, dirs, files in sorted(os.walk(os.path.join(tree_dir, "kubernetes"))):
                for name in sorted(files):
                    path = os.path.join(directory, name)
                    with open(path, "rb") as f:
                        content = f.read()
                    out.write(os.path.relpath(path, tree_dir).encode() + b"\n" + str(len(content)).encode() + b"\n")
                    out.write(content)
        entries = []
        for name, tool in ((FLOOR, [a.floor] if a.floor else None), (WRITER, writer), (CP, None)):
            d = os.path.join(into, f"{name.split()[0].lower()}{n}")
            os.makedirs(d, exist_ok=True)
            target = os.path.join(d, "kubernetes")
            if tool is None:
                cmd = ["cp", "-r", os.path.join(tree_dir, "kubernetes"), target]
            else:
                cmd = [*tool, bundle, d]
            entries.append((name, cmd, aside(target, into), None))
        return [e for e in entries if e[0] != FLOOR or a.floor]

    # 1 cluster to stdout, next to `cat` printing the same stream.
    say("== emit, 1 cluster")
    cfg1 = os.path.join(work, "c1", "fluxgen.yaml")
    stream = os.path.join(work, "stream1.yaml")
    with open(stream, "wb") as f:
        f.write(subprocess.run(fg(cfg1, "emit", "edge"), capture_output=True, check=True).stdout)
    r = side_by_side([("fluxgen", fg(cfg1, "emit", "edge"), None, None),
                      (FLOOR, ["cat", stream], None, None),
                      (JINJA, jj(cfg1, "emit", "edge"), None, None)], 60, warmup=5)
    row("`emit edge` → stdout, 1 cluster (floor: `cat` of the same stream)", r.pop("fluxgen"), r,
        [ratio_at_most(FLOOR, 2.5), absolute("< 5 ms", lambda r: r.median < 0.005)])

    d_fg, cfg_fg, _ = tree_dirs(1, "fluxgen-")
    run(fg(cfg_fg, "emit", "--all"))
    d_jj, cfg_jj, _ = tree_dirs(1, "jinja-")
    entries = [("fluxgen", fg(cfg_fg, "emit", "--all"), aside(os.path.join(d_fg, "kubernetes")), None),
               *write_floors(d_fg, 1),
               (JINJA, jj(cfg_jj, "emit", "--all"), aside(os.path.join(d_jj, "kubernetes")), None)]
    if a.makejinja:
        d_mj, _, _ = tree_dirs(1, "makejinja-")
        entries.append((MAKEJINJA, makejinja_script(d_mj, 1, "makejinja-1"), aside(os.path.join(d_mj, "kubernetes")), None))
    r = side_by_side(entries, 15, warmup=2)
    row("`emit --all`, 1 cluster, empty tree (11 files)", r.pop("fluxgen"), r,
        [absolute("< 5 ms", lambda r: r.median < 0.005)])

    for n in (100, 1000):
        say(f"== emit --all, {n} clusters")
        d_fg, cfg_fg, chg_fg = tree_dirs(n, "fluxgen-")
        d_jj, cfg_jj, chg_jj = tree_dirs(n, "jinja-")
        big = n >= 1000
        run(fg(cfg_fg, "emit", "--all"))
        entries = [("fluxgen", fg(cfg_fg, "emit", "--all"), aside(os.path.join(d_fg, "kubernetes")), None),
                   *write_floors(d_fg, n),
                   (JINJA, jj(cfg_jj, "emit", "--all"), aside(os.path.join(d_jj, "kubernetes")), None)]
        r = side_by_side(entries, 6 if big else 12, warmup=0 if big else 1)
        if a.makejinja and n == 100:
            d_mj, _, _ = tree_dirs(n, "makejinja-")
            script = makejinja_script(d_mj, n, f"makejinja-{n}")
            r[MAKEJINJA] = Result(runner.times(script, 1, prepare=aside(os.path.join(d_mj, "kubernetes"))))
        row(f"`emit --all`, {n} clusters, empty tree ({11 * n} files)", r.pop("fluxgen"), r,
            [ratio_at_most(FLOOR, 1.5), ratio_at_most(CP, 1.5), ratio_at_most(WRITER, 1.0),
             ratio_at_most(JINJA, 0.5)])

        # The same on tmpfs, where no disk sets the pace: what each tool itself costs.
        if os.access("/dev/shm", os.W_OK):
            shm = tempfile.mkdtemp(prefix="fluxgen-bench-", dir="/dev/shm")
            try:
                for tool in ("fluxgen", "jinja"):
                    os.makedirs(os.path.join(shm, tool))
                    shutil.copy(os.path.join(work, f"c{n}", "fluxgen.yaml"), os.path.join(shm, tool))
                s_fg = os.path.join(shm, "fluxgen", "fluxgen.yaml")
                s_jj = os.path.join(shm, "jinja", "fluxgen.yaml")
                run(fg(s_fg, "emit", "--all"))
                r = side_by_side([("fluxgen", fg(s_fg, "emit", "--all"), aside(os.path.join(shm, "fluxgen", "kubernetes"), shm), None),
                                  *write_floors(os.path.join(shm, "fluxgen"), n, into=shm),
                                  (JINJA, jj(s_jj, "emit", "--all"), aside(os.path.join(shm, "jinja", "kubernetes"), shm), None)],
                                 6 if big else 10)
                row(f"`emit --all`, {n} clusters, empty tree on tmpfs (no disk)", r.pop("fluxgen"), r)
            finally:
                shutil.rmtree(shm, ignore_errors=True)

        # Rerun, nothing changed: the tree is the one the last empty-tree run wrote.
        run(fg(cfg_fg, "emit", "--all"))
        run(jj(cfg_jj, "emit", "--all"))
        before = snapshot(os.path.join(d_fg, "kubernetes"))
        r = side_by_side([("fluxgen", fg(cfg_fg, "emit", "--all"), None, None),
                          (JINJA, jj(cfg_jj, "emit", "--all"), None, None)], 6 if big else 20)
        touched = changed_entries(before, snapshot(os.path.join(d_fg, "kubernetes")))
        r_fg = r.pop("fluxgen")
        r_fg.note = (f"wrote files: {len(touched)} entries changed, e.g. {touched[:3]}" if touched
                     else f"no file or directory touched ({len(before)} entries: inode, mtime, size)")
        row(f"`emit --all`, {n} clusters, rerun, nothing changed", r_fg, r,
            [absolute("writes no file", lambda r, t=touched: not t)])

        # Rerun with one cluster changed: each run starts from the base tree (the prepare
        # step rewrites the one file back) and writes that cluster's changed HelmRelease.
        run(fg(chg_fg, "emit", "--all"))
        after_one = changed_entries(before, snapshot(os.path.join(d_fg, "kubernetes")))
        run(fg(cfg_fg, "emit", "--all"))
        r = side_by_side([("fluxgen", fg(chg_fg, "emit", "--all"), fg(cfg_fg, "emit", "--all"), None),
                          (JINJA, jj(chg_jj, "emit", "--all"), jj(cfg_jj, "emit", "--all"), None)],
                         6 if big else 10)
        files_changed = [p for p in after_one if p.endswith(".yaml")]
        r_fg = r.pop("fluxgen")
        r_fg.note = f"{len(files_changed)} file rewritten: {', '.join(files_changed)}"
        row(f"`emit --all`, {n} clusters, rerun, one cluster changed", r_fg, r,
            [absolute("1 file written", lambda r, f=files_changed: len(f) == 1)])
        run(fg(cfg_fg, "emit", "--all"))  # back to the base tree

        if big:
            say("== check --all, 1000 clusters")
            code = subprocess.run(fg(cfg_fg, "check", "--all"), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL).returncode
            listing = os.path.join(work, "files1000")
            with open(listing, "w", encoding="utf-8") as f:
                for directory, dirs, files in sorted(os.walk(os.path.join(d_fg, "kubernetes"))):
                    for name in sorted(files):
                        f.write(os.path.join(directory, name) + "\n")
            r = side_by_side([("fluxgen", fg(cfg_fg, "check", "--all"), None, None),
                              (FLOOR, ["xargs", "-a", listing, "cat"], None, None)], 12)
            r_fg = r.pop("fluxgen")
            r_fg.note = f"exit {code} on the clean tree"
            row("`check --all`, 1000 clusters, clean tree (floor: `cat` of the same 11,000 files)", r_fg, r,
                [ratio_at_most(FLOOR, 3.0), absolute("exit 0", lambda r, c=code: c == 0)])

    say("== doctor, 10,000-file repository")
    repo = os.path.join(work, "repo")
    if not os.path.isdir(repo):
        run([sys.executable, os.path.join(bench, "make_repo.py"), repo])
    cmd = [fluxgen, "doctor", "--repo", repo]
    code = subprocess.run(cmd, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    if code not in (0, 1):
        row("`doctor`, 10,000-file repository", Result(note=f"doctor failed (exit {code})"))
    else:
        # Findings exit 1: time through a wrapper that maps 1 to 0 only for the timer.
        wrapper = ["sh", "-c", f'{shlex.join(cmd)} >/dev/null 2>&1; [ $? -le 1 ]']
        times = runner.times(wrapper, runs(10), warmup=1, cwd=repo)
        with tempfile.NamedTemporaryFile(mode="r") as out:
            if runner.gnu_time:
                subprocess.run([runner.gnu_time, "-f", "%M", "-o", out.name, *cmd], cwd=repo,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                kib = int(out.read().strip().splitlines()[-1])
            else:
                kib = None
        r = Result(times, kib, note=f"exit {code}; timed through `sh -c` (+≈1 ms)")
        row("`doctor`, 10,000-file repository", r, None,
            [absolute("≤ 0.4 s", lambda r: r.median <= 0.4),
             absolute("≤ 30 MiB", lambda r: r.rss is not None and r.rss <= 30 * 1024)])

    # ---- 3. The table ------------------------------------------------------------------------
    used = [c for c in columns if any(c in others for _, _, others, _ in rows)]
    out = ["| scenario | fluxgen median (min–max) | peak RSS | "
           + " | ".join(f"ratio to {c} ({c} median)" for c in used) + " | targets |",
           "|---|---|---|" + "---|" * len(used) + "---|"]
    notes = []
    missed = []
    for label, r_fg, others, targets in rows:
        if r_fg and r_fg.times:
            fg_cell, rss = fmt_spread(r_fg.times), fmt_rss(r_fg.rss)
        else:
            fg_cell, rss = (r_fg.note if r_fg else "—"), "—"
        cells = []
        for c in used:
            other = others.get(c)
            if other and other.times:
                cells.append(f"**{fmt_ratio(r_fg.median if r_fg else None, other.median)}** ({fmt_time(other.median)})")
            else:
                cells.append("—")
        verdicts = []
        for text, met in targets:
            ok = met(r_fg, others)
            if ok is False:
                missed.append(f"{label}: {text}")
            verdicts.append(f"{text}: {'not measured' if ok is None else 'met' if ok else '**missed**'}")
        out.append(f"| {label} | {fg_cell} | {rss} | " + " | ".join(cells) + f" | {'; '.join(verdicts)} |")
        if r_fg and r_fg.times and r_fg.note:
            notes.append(f"- {label}: {r_fg.note}")
    small = [r.rss for label, r, *_ in rows if r and r.rss and ("1 cluster" in label or "100 clusters" in label)]
    if small:
        ok = max(small) < 10 * 1024
        if not ok:
            missed.append("peak RSS < 10 MiB up to 100 clusters")
        notes.append(f"- peak RSS < 10 MiB up to 100 clusters: {'met' if ok else '**missed**'} "
                     f"(largest {fmt_rss(max(small))})")
    timer = "hyperfine -N" if a.timer == "hyperfine" else "a perf_counter_ns driver"
    notes.append(f"- whole processes, release build, timed with {timer} in interleaved rounds; peak RSS from "
                 f"{'GNU time %M' if runner.gnu_time else 'wait4 ru_maxrss'}; trees under "
                 f"{work} ({fs_type(work)}); ratio = fluxgen median / the other's median, same run")
    notes.append("- floor: bench/floor.rs (a binary that only writes the bytes) for trees, `cat` for the "
                 "stream and for `check`; Python writer: bench/writer.py (a script that only writes the "
                 "bytes); `cp -r`: of fluxgen's own tree")
    notes.insert(0, f"- targets missed: {'; '.join(missed)}" if missed else "- every target met")
    load_at_end = os.getloadavg()
    notes.append(f"- {os.cpu_count()} CPUs; load average {load_at_start[0]:.2f} at the start, "
                 f"{load_at_end[0]:.2f} at the end (other work on the machine widens the spread)")
    table = "\n".join(out) + "\n\n" + "\n".join(notes) + "\n"
    with open(os.path.join(work, "table.md"), "w", encoding="utf-8") as f:
        f.write(table)
    print()
    print(table, end="")
    sys.exit(0)


def fs_type(path):
    try:
        out = subprocess.run(["df", "--output=fstype", path], capture_output=True, text=True, check=True)
        return out.stdout.split()[-1]
    except (OSError, subprocess.CalledProcessError):
        return "unknown file system"


if __name__ == "__main__":
    main()
