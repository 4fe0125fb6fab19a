"""Starting and stopping a real local federation for end-to-end tests."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FEDERATION = os.path.join(ROOT, "deploy", "local", "federation")
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))


def start(build, prefix, *extra_args, population=3000):
    """Brings a federation up in a new temporary directory: (state, endpoints)."""
    state = tempfile.mkdtemp(prefix=prefix)
    try:
        subprocess.run([sys.executable, FEDERATION, "up", "--state", state,
                        "--bin", os.path.join(build, "bin"),
                        "--descriptors", os.path.join(build, "share", "ndxp", "services.binpb"),
                        "--population", str(population), *extra_args], check=True)
    except subprocess.CalledProcessError:
        stop(state)  # what did start would outlive the test (no tearDown runs)
        raise
    with open(os.path.join(state, "endpoints.json")) as f:
        return state, json.load(f)


def stop(state):
    subprocess.run([sys.executable, FEDERATION, "down", "--state", state], check=False)
    shutil.rmtree(state, ignore_errors=True)


def first_personal_id(endpoints):
    """A personal ID the federation's residents connector holds."""
    import sqlite3
    database = endpoints["connectors"]["residents"]["database"]
    with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
        return db.execute(
            "SELECT personal_id FROM citizens ORDER BY personal_id LIMIT 1").fetchone()[0]
