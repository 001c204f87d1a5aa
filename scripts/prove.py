#!/usr/bin/env python3
"""Sees each promise's test fail with the promise broken (`make prove`, or `scripts/prove.py CASE...`).

For every case of tests/proofs.toml: a throwaway worktree of HEAD gets the case's edit (one exact
text replaced by another: the promise broken), the case's tests run there, and they must FAIL.
The worktree is reset after each case. Prints one line per case and a summary; exits 1 when a
test passed with its promise broken (that test proves nothing). docs/proofs.md lists the cases
with the promise each breaks.

Slow by nature (each case may rebuild the Worker and starts the test stack): run it when the
tests or the code they guard change, not on every `make test`. A run of every case rewrites
docs/proofs.md with the table and the results; `scripts/prove.py --doc` rewrites the table only.
"""
import datetime
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKTREE = Path(os.environ.get("PROVE_WORKTREE", "/tmp/cvety-crm-prove"))
TARGET = Path(os.environ.get("PROVE_TARGET_DIR", str(ROOT / "target" / "prove")))


def run(command, cwd, timeout=1800):
    env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET), WRANGLER_SEND_METRICS="false")
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def worktree():
    if WORKTREE.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(WORKTREE)], cwd=ROOT, capture_output=True)
    subprocess.run(["git", "worktree", "add", "--detach", str(WORKTREE), "HEAD"], cwd=ROOT, check=True,
                   capture_output=True)
    # The npm tools, as hard links (never a symlink: an `npm ci` in the worktree would empty the
    # main tree's node_modules through it); the lock file dated as old as them, so that the
    # stack's install step sees nothing to reinstall.
    subprocess.run(["cp", "-al", str(ROOT / "node_modules"), str(WORKTREE / "node_modules")], check=True)
    installed = (ROOT / "node_modules" / ".package-lock.json").stat().st_mtime
    os.utime(WORKTREE / "package-lock.json", (installed - 1, installed - 1))


def command_for(test):
    """`lib::filter` runs the core's tests; `phpunit::filter` the Bitrix module's (on the MariaDB
    of scripts/mariadb.sh); `binary::filter` one integration binary."""
    binary, _, name = test.partition("::")
    if binary == "lib":
        return ["cargo", "test", "--lib", name]
    if binary == "phpunit":
        return ["bash", "-c", 'bash scripts/mariadb.sh up >/dev/null && CVETY_TEST_MYSQL_DSN="$(bash scripts/mariadb.sh dsn)" '
                f'phpunit -c bitrix/tests/phpunit.xml --filter {name}']
    return ["cargo", "test", "--test", binary, name]


def prove(case):
    path = WORKTREE / case["file"]
    text = path.read_text()
    found = text.count(case["find"])
    if found != 1:
        return False, f"the text to break is found {found} times in {case['file']}"
    path.write_text(text.replace(case["find"], case["replace"]))
    try:
        failed, notes = [], []
        for test in case["tests"]:
            result = run(command_for(test), WORKTREE)
            output = result.stdout + result.stderr
            name = test.partition("::")[2]
            if "the test stack is not up" in output or "error[E" in output:
                # A failure for another reason proves nothing: the case could not run.
                notes.append(f"{test} could not run: " + ("the stack did not start" if "stack" in output else "no build"))
            elif result.returncode != 0 and (
                    (name in output and ("FAILED" in output or "panicked" in output))
                    or (test.startswith("phpunit::") and ("FAILURES!" in output or "ERRORS!" in output))):
                failed.append(test)
            else:
                notes.append(f"{test} did not fail (exit {result.returncode})")
        return len(failed) == len(case["tests"]), "; ".join(notes)
    finally:
        subprocess.run(["git", "checkout", "--", case["file"]], cwd=WORKTREE, check=True)
        subprocess.run(["bash", "scripts/stack.sh", "down"], cwd=WORKTREE, env=dict(os.environ, CRM_STACK="test"),
                       capture_output=True)


def stop_stacks():
    """No test stack may be up when a case starts: its ports would refuse the case's stack."""
    for tree in (ROOT, WORKTREE):
        subprocess.run(["bash", "scripts/stack.sh", "down"], cwd=tree, env=dict(os.environ, CRM_STACK="test"),
                       capture_output=True)


SECTIONS = {
    "one webhook, one transaction": "One webhook, one transaction",
    "delivery guarantees": "Delivery guarantees",
    "retry schedule": "Retry schedule",
    "dead letters": "Dead letters",
    "switches": "Switches",
    "hostile input (issue 7)": "Bad input",
    "the Bitrix kit (issue 9)": "Signed webhooks and the Bitrix kit",
    "security (issue 15)": "Security",
    "one home per rule (issue 16)": "One home per rule",
}


def write_doc(cases, results=None):
    """docs/proofs.md: each promise, its tests, its breaking edit; the last full run's verdicts."""
    section_of, current = {}, None
    for line in (ROOT / "tests" / "proofs.toml").read_text().splitlines():
        if line.startswith("# ----"):
            current = SECTIONS.get(line.strip("# -").strip(), line.strip("# -").strip())
        if line.startswith("id = "):
            section_of[line.split('"')[1]] = current
    out = ["# Every promise, the test that proves it, and how it was broken", "",
           "Each promise of the README names here the tests that prove it. Each was seen to fail with its",
           "promise broken: `make prove` (`scripts/prove.py`) applies the case's edit (one exact text of the",
           "code or the SQL replaced by another; the case id and file are below, the edit itself is in",
           "`tests/proofs.toml`) to a throwaway worktree of HEAD, runs the tests, and counts the case only if",
           "they fail for their own reason (a stack that did not start proves nothing). This page is written",
           "by `scripts/prove.py` from `tests/proofs.toml`.", "",
           "Tests are `file::name` (a prefix of the name): `lib` is `cargo test --lib`, the others are the",
           "binaries under `tests/`.", ""]
    for title in dict.fromkeys(section_of.values()):
        out += [f"## {title}", "", "| promise | tests | broken by |", "|---|---|---|"]
        for case in cases:
            if section_of.get(case["id"]) == title:
                tests = "<br>".join(f"`{t}`" for t in case["tests"])
                verdict = f" ({results[case['id']]})" if results else ""
                out.append(f"| {case['promise']} | {tests} | `{case['id']}`{verdict}: {case['file'].split('/')[-1]} |")
        out.append("")
    if results:
        seen = sum(1 for v in results.values() if v == "seen to fail")
        out += ["## Last full run", "",
                f"{datetime.date.today().isoformat()}, HEAD {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()}: "
                f"{seen} of {len(results)} promises seen to fail when broken.", ""]
    (ROOT / "docs" / "proofs.md").write_text("\n".join(out))


def main():
    cases = tomllib.loads((ROOT / "tests" / "proofs.toml").read_text())["case"]
    if sys.argv[1:] == ["--doc"]:
        write_doc(cases)
        return
    wanted = set(sys.argv[1:])
    if wanted:
        cases = [c for c in cases if c["id"] in wanted]
    worktree()
    stop_stacks()
    broken = 0
    results = {}
    for case in cases:
        started = time.time()
        ok, note = prove(case)
        broken += not ok
        verdict = "seen to fail" if ok else ("COULD NOT RUN" if "could not run" in note else "DID NOT FAIL")
        results[case["id"]] = verdict
        print(f"{case['id']:<40} {verdict:<14} {time.time() - started:5.0f} s  {', '.join(case['tests'])}"
              + (f"  ({note})" if note else ""), flush=True)
    print(f"{len(cases) - broken} of {len(cases)} promises seen to fail when broken")
    if not wanted:
        write_doc(cases, results)
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
