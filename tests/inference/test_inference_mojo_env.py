"""Loading the Mojo extension must not change what child processes see: it sets PYTHONEXECUTABLE (and more)
in the C environment, which made every later subprocess (CLI runs, MAX compile workers) start outside the venv."""
import subprocess
import sys

from inference.backends.mojo.build import extension


def test_children_stay_in_this_environment_after_loading_the_extension():
    extension()
    child = subprocess.run([sys.executable, "-c", "import sys, numpy; print(sys.prefix)"],
                           capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == sys.prefix
