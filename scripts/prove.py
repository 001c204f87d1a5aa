#!/usr/bin/env python3
"""Sees each promise's test fail with the promise broken (`make prove`, or `scripts/prove.py CASE...`).

For every case of tests/proofs.toml: a throwaway worktree of HEAD gets the case's edit (one exact
text replaced by another: the promise broken), the case's tests run there, and they must FAIL.
The worktree is reset after each case. Prints one line per case and a summary; exits 1 when a
test passed with its promise broken (that test proves nothing). docs/proofs.md lists the cases
with the promise each breaks.

Slow by nature (each case may rebuild the Worker and starts the test stack): run it when the
tests or the code they guard change, not on every `make test`.
"""
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
    node_modules = WORKTREE / "node_modules"
    if not node_modules.exists():
        node_modules.symlink_to(ROOT / "node_modules")


def command_for(test):
    """`lib::filter` runs the core's tests; `binary::filter` one integration binary."""
    binary, _, name = test.partition("::")
    if binary == "lib":
        return ["cargo", "test", "--lib", name]
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
            elif result.returncode != 0 and name in output and ("FAILED" in output or "panicked" in output):
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


def main():
    cases = tomllib.loads((ROOT / "tests" / "proofs.toml").read_text())["case"]
    wanted = set(sys.argv[1:])
    if wanted:
        cases = [c for c in cases if c["id"] in wanted]
    worktree()
    stop_stacks()
    broken = 0
    for case in cases:
        started = time.time()
        ok, note = prove(case)
        broken += not ok
        verdict = "seen to fail" if ok else ("COULD NOT RUN" if "could not run" in note else "DID NOT FAIL")
        print(f"{case['id']:<40} {verdict:<14} {time.time() - started:5.0f} s  {', '.join(case['tests'])}"
              + (f"  ({note})" if note else ""), flush=True)
    print(f"{len(cases) - broken} of {len(cases)} promises seen to fail when broken")
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
