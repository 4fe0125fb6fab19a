#!/usr/bin/env python3
"""Every command in README.md runs: each ```sh block (and each ```python
block) is run in the order of the file, in one bash session, against the
local federation its first block starts with `make run`. A command added to
the README later is run here without touching this test.

Where the README says `state/` and `build/`, the session works in a scratch
directory holding `state/` and links to the repository's folders and to the
build, so a developer's own `state/` is never touched. grpcurl and ghz are
not packaged by Debian: where they are missing, stand-ins (standins/) read
the flags and files the way the tools do, parse every request as the
method's request message and make the same calls from Python (ghz's as many
as its -n, or for as long as its -z, says).

Run by ctest:  test_readme.py BUILD_DIR
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else os.path.join(ROOT, "build")
README = os.path.join(ROOT, "README.md")
STANDINS = os.path.join(ROOT, "tests", "python", "standins")
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```\n", re.M | re.S)
# The only README lines not run here, and why.
NOT_RUN = {
    "make check": "the command that runs this test (CI runs it)",
}


def readme_blocks():
    """[(language, line number, text)] of README.md's runnable blocks."""
    with open(README) as f:
        text = f.read()
    return [(m.group(1), text.count("\n", 0, m.start()) + 2, m.group(2))
            for m in BLOCK.finditer(text)]


def without_not_run(text):
    """The block's text less the NOT_RUN lines (a trailing comment allowed)."""
    kept = []
    for line in text.splitlines():
        if line.split("#", 1)[0].strip() in NOT_RUN:
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def session_script(blocks):
    """One bash script: each block announced, then run; python blocks through
    Debian's python3 reading a here-document."""
    parts = ["set -e\n"]
    for number, (language, line, text) in enumerate(blocks, 1):
        parts.append("echo '### README.md block %d (line %d)' >&2\n" % (number, line))
        if language == "sh":
            parts.append(without_not_run(text))
        else:
            parts.append("/usr/bin/python3 - <<'NDXP_README_PYTHON'\n%sNDXP_README_PYTHON\n"
                         % text)
    return "".join(parts)


class ReadmeTest(unittest.TestCase):
    def test_every_not_run_line_is_still_in_the_readme(self):
        lines = {line.split("#", 1)[0].strip() for _, _, text in readme_blocks()
                 for line in text.splitlines()}
        for line in NOT_RUN:
            self.assertIn(line, lines, "NOT_RUN names a line the README no longer has")

    def test_the_readme_points_nowhere_outside_the_repository(self):
        with open(README) as f:
            text = f.read()
        self.assertNotIn("../", text)
        self.assertNotIn("/work/", text)
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if "://" not in target:
                self.assertTrue(os.path.exists(os.path.join(ROOT, target)), target)

    def test_every_command_in_the_readme_runs(self):
        blocks = readme_blocks()
        self.assertGreater(len(blocks), 5)
        self.assertIn("make run", blocks[0][2], "the first block starts the federation")
        work = tempfile.mkdtemp(prefix="ndxp-readme-")
        self.addCleanup(shutil.rmtree, work, True)
        for name in os.listdir(ROOT):
            if name not in ("state", "build", ".git") and not name.startswith("build"):
                os.symlink(os.path.join(ROOT, name), os.path.join(work, name))
        os.symlink(BUILD, os.path.join(work, "build"))
        tools = os.path.join(work, ".tools")
        os.mkdir(tools)
        for tool in ("grpcurl", "ghz"):
            if shutil.which(tool) is None:
                os.symlink(os.path.join(STANDINS, tool), os.path.join(tools, tool))
        env = dict(os.environ,
                   # Debian's python3 (with grpc) first, then the stand-ins.
                   PATH=os.pathsep.join(["/usr/bin", "/bin", tools, os.environ["PATH"]]),
                   BUILD=BUILD, JOBS="2", NDXP_STANDIN_STUBS=os.path.join(work, ".stubs"))
        for variable in ("NDXP_HUB", "NDXP_CA", "NDXP_CERT", "NDXP_KEY", "STATE"):
            env.pop(variable, None)
        self.addCleanup(subprocess.run, ["/usr/bin/python3", "deploy/local/federation", "down",
                                         "--state", "state"], cwd=work,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        script = os.path.join(work, ".readme.sh")
        with open(script, "w") as f:
            f.write(session_script(blocks))
        done = subprocess.run(["/bin/bash", script], cwd=work, env=env, capture_output=True,
                              text=True, timeout=900, stdin=subprocess.DEVNULL)
        announced = re.findall(r"^### README.md block \d+ \(line \d+\)$", done.stderr, re.M)
        self.assertEqual(done.returncode, 0,
                         "%s failed:\n--- stdout (end)\n%s\n--- stderr (end)\n%s"
                         % (announced[-1] if announced else "the first block",
                            done.stdout[-3000:], done.stderr[-3000:]))
        self.assertEqual(len(announced), len(blocks))
        # What the journeys say they show, seen in what they printed.
        for shown in ("ndxp.residents.v1.ResidentRegistry",  # grpcurl list
                      '"dateOfBirth"',                       # the first call's answer
                      "Code: InvalidArgument", "Code: PermissionDenied",
                      "INVALID_ARGUMENT [('personal_id'",    # the BadRequest, from Python
                      "imported 2 rows", "audit chain OK",
                      "Population registry",                 # the hub's agency names
                      "citizen complaint 2026/117"):         # an operator's lookup, listed
            self.assertIn(shown, done.stdout, shown)
        # The growth and report examples compare this half-year, month and
        # quarter, whose calls the session made, with the history it imported
        # a year and a quarter before: never "0 vs 1,000, -100%" whatever the
        # day it runs.
        half_year = re.search(r"(?m)^\S+ \.\. \S+ against \S+ \.\. \S+: ([\d,]+) vs 1,000, ",
                              done.stdout)
        self.assertIsNotNone(half_year, "the half-year growth line")
        self.assertNotEqual(half_year.group(1), "0")
        for fall in ("-100.0%", "giảm 100,0%"):
            self.assertNotIn(fall, done.stdout)
        # `ghz-run business-search ... -- -n 200` makes 200 calls, not the
        # profile's 30 s (ghz and its stand-in print the calls counted).
        self.assertRegex(done.stdout, r"(?m)^\s*Count:\s+200$")


if __name__ == "__main__":
    unittest.main()
