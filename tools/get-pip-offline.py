"""Stand-in for pip's get-pip.py, which ansible-test downloads from a host this sandbox cannot reach.

ansible-test runs it with the target venv's Python to put pip into each sanity venv; here pip
comes from the interpreter's own ensurepip and the requested version from the package index.
"""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"], stdout=subprocess.DEVNULL)
requested = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *requested])
