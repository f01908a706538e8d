"""Benchmark dlt-lint against parsing with LibCST and linting with Fixit.

Corpus: the installed Keras package's ``keras/src`` plus this repository's ``framework/``,
copied to a temporary directory (so one file can be edited and the cache starts empty).

In one run it measures

* dlt-lint cold (empty cache), warm (cache), and after one changed file (a method body edit);
  the warm and one-changed-file runs are repeated (``--repeat``, a different file each time)
  and reported as the median, with the slowest in the note;
* (a) LibCST: ``libcst.parse_module`` on every file with a process pool of the same size as
  dlt-lint's;
* (b) Fixit 2.2 with its default rules (``fixit lint`` on the same files);

and prints files, lines, seconds, lines/s and peak memory (RSS summed over the process tree,
sampled from /proc every 20 ms), then the ratios cold/(a) and (b)/cold.

    python benchmarks/bench_lint.py              # the full corpus
    python benchmarks/bench_lint.py --limit 200  # a quick run on 200 files
    python benchmarks/bench_lint.py --skip-fixit # without the slowest tool

Not run by CI.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass
class Measure:
    name: str
    files: int
    lines: int
    seconds: float
    peak_rss_mb: float
    note: str = ""

    @property
    def lines_per_s(self) -> float:
        return self.lines / self.seconds if self.seconds else float("inf")


# ----------------------------------------------------------------------------- memory sampling
def _children_map() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_kb(root: int) -> int:
    tree = _children_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_kb(pid)
        stack.extend(tree.get(pid, ()))
    return total


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``cmd``; returns (seconds, peak tree RSS in MB, completed process)."""
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return seconds, peak / 1024, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


# ----------------------------------------------------------------------------- corpus
def build_corpus(dest: Path, limit: int | None) -> list[Path]:
    import keras

    keras_root = Path(keras.__file__).resolve().parent
    sources = [(keras_root.parent, p) for p in sorted((keras_root / "src").rglob("*.py"))]
    sources += [(REPO, p) for p in sorted((REPO / "framework").rglob("*.py"))]
    sources = [(base, p) for base, p in sources if "__pycache__" not in p.parts]
    if limit:
        step = max(1, len(sources) // limit)
        sources = sources[::step][:limit]
    copied: list[Path] = []
    for base, path in sources:
        target = dest / path.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied.append(target)
    # Keep the package structure (module names) of every copied file.
    for base, path in sources:
        directory = path.parent
        while directory != base and (directory / "__init__.py").exists():
            target = dest / directory.relative_to(base) / "__init__.py"
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(directory / "__init__.py", target)
                copied.append(target)
            directory = directory.parent
    (dest / "pyproject.toml").write_text("[tool.dlt-lint]\n")
    return copied


def count_lines(files: list[Path]) -> int:
    return sum(p.read_bytes().count(b"\n") for p in files)


def pick_files_to_edit(files: list[Path], count: int) -> list[Path]:
    """``count`` mid-sized files with a method whose body we can change."""
    candidates = [p for p in files if "    def " in p.read_text(errors="replace") and p.stat().st_size > 4000]
    candidates.sort(key=lambda p: p.stat().st_size)
    if not candidates:
        return files[:count]
    middle = len(candidates) // 2
    step = max(1, len(candidates) // (4 * count))
    return [candidates[(middle + k * step) % len(candidates)] for k in range(count)]


def edit_method_body(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith("def ") and line.startswith("    ") and line.rstrip().endswith(":"):
            indent = line[: len(line) - len(stripped)] + "    "
            # Right after the signature: a no-op statement inside the method body.
            lines.insert(i + 1, f"{indent}_bench_edit = 1  # benchmark edit\n")
            path.write_text("".join(lines))
            return
    path.write_text(path.read_text() + "\n_bench_edit = 1\n")


LIBCST_SCRIPT = """
import sys
from multiprocessing import Pool
import libcst

def parse(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    try:
        libcst.parse_module(text)
        return 1
    except Exception:
        return 0

if __name__ == "__main__":
    paths = [line.strip() for line in open(sys.argv[1]) if line.strip()]
    with Pool(int(sys.argv[2])) as pool:
        ok = sum(pool.imap_unordered(parse, paths, chunksize=4))
    print(ok, "parsed")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="use about N files of the corpus")
    parser.add_argument("--skip-fixit", action="store_true", help="do not run Fixit")
    parser.add_argument("--skip-libcst", action="store_true", help="do not run the LibCST baseline")
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpus")
    parser.add_argument("--repeat", type=int, default=5, help="samples of the warm and one-file runs")
    args = parser.parse_args()

    from dlt_lint.cache import tool_fingerprint
    from dlt_lint.engine import available_cpus

    workers = available_cpus()
    env = dict(os.environ)
    # Timings of an installed tool: byte-code compiled once, not on every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "lint_rules" / "dlt_lint")],
                   env=env, capture_output=True)
    # Rule modules edited during the run must not make the warm run look cold.
    env["DLT_LINT_TOOL_FINGERPRINT"] = tool_fingerprint()

    tmp = Path(tempfile.mkdtemp(prefix="dlt-bench-"))
    try:
        corpus = tmp / "corpus"
        files = build_corpus(corpus, args.limit)
        lines = count_lines(files)
        targets = sorted({str(p.relative_to(corpus).parts[0]) for p in files})
        print(f"corpus: {len(files)} files, {lines} lines ({', '.join(targets)}); {workers} CPU(s)\n", flush=True)
        results: list[Measure] = []
        dlt = [str(BIN / "dlt-lint"), *targets, "--output-format", "concise", "-q", "-v"]

        def run_dlt(name: str) -> Measure:
            seconds, peak, proc = timed(dlt, corpus, env)
            if proc.returncode not in (0, 1):
                raise SystemExit(f"dlt-lint failed ({proc.returncode}):\n{proc.stderr}")
            stats = next((line for line in proc.stderr.splitlines() if line.startswith("dlt-lint:")), "")
            m = Measure(name, len(files), lines, seconds, peak, stats.removeprefix("dlt-lint: "))
            print(f"{name:<28} {seconds:8.2f} s   {m.lines_per_s:>12,.0f} lines/s   {peak:8.0f} MB", flush=True)
            return m

        cold = run_dlt("dlt-lint cold (empty cache)")
        results.append(cold)

        def repeated(name: str, before_each=None) -> Measure:
            samples = []
            for k in range(max(1, args.repeat)):
                note = before_each(k) if before_each else ""
                m = run_dlt(f"{name} #{k + 1}")
                samples.append((m, note))
            ordered = sorted(samples, key=lambda item: item[0].seconds)
            median, note = ordered[len(ordered) // 2]
            slowest = ordered[-1][0]
            median.name = f"{name} (median)"
            median.note = (f"{len(samples)} runs, slowest {slowest.seconds:.2f} s; "
                           f"{note + '; ' if note else ''}{median.note}")
            return median

        results.append(repeated("dlt-lint warm (cache)"))
        edits = pick_files_to_edit([p for p in files if p.name != "__init__.py"], max(1, args.repeat))

        def edit(k: int) -> str:
            edit_method_body(edits[k])
            return str(edits[k].relative_to(corpus))

        results.append(repeated("dlt-lint one changed file", edit))

        if not args.skip_libcst:
            listing = tmp / "files.txt"
            listing.write_text("\n".join(str(p) for p in files))
            seconds, peak, proc = timed([sys.executable, "-c", LIBCST_SCRIPT, str(listing), str(workers)], tmp, env)
            m = Measure(f"(a) LibCST parse, {workers} procs", len(files), lines, seconds, peak, proc.stdout.strip())
            print(f"{m.name:<28} {seconds:8.2f} s   {m.lines_per_s:>12,.0f} lines/s   {peak:8.0f} MB", flush=True)
            results.append(m)
        if not args.skip_fixit:
            seconds, peak, proc = timed([str(BIN / "fixit"), "lint", *targets], corpus, env)
            found = sum(1 for line in proc.stdout.splitlines() if line.strip())
            m = Measure("(b) Fixit 2.2 default rules", len(files), lines, seconds, peak, f"{found} output lines")
            print(f"{m.name:<28} {seconds:8.2f} s   {m.lines_per_s:>12,.0f} lines/s   {peak:8.0f} MB", flush=True)
            results.append(m)

        print()
        print(f"{'run':<30}{'files':>7}{'lines':>9}{'seconds':>10}{'lines/s':>12}{'peak MB':>10}  note")
        for m in results:
            print(f"{m.name:<30}{m.files:>7}{m.lines:>9}{m.seconds:>10.2f}{m.lines_per_s:>12,.0f}"
                  f"{m.peak_rss_mb:>10.0f}  {m.note}")
        by_name = {m.name.split(" ")[0]: m for m in results}
        print()
        if "(a)" in by_name:
            print(f"cold / (a) LibCST parse: {cold.seconds / by_name['(a)'].seconds:.2f}")
        if "(b)" in by_name:
            print(f"(b) Fixit / cold:        {by_name['(b)'].seconds / cold.seconds:.2f}")
    finally:
        if args.keep:
            print(f"\ncorpus kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
