# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the get-pip bootstrap script that ansible-test downloads from its own CI host.

That host is not reachable from our machines; PyPI is. ansible-test runs this file as
``python get_pip_X_Y.py --disable-pip-version-check pip==X.Y [--no-setuptools] [--no-wheel]``
inside a fresh, empty virtual environment. We bootstrap pip from the interpreter's own
``ensurepip`` wheel, then let that pip install the exact packages ansible-test asked for.
"""

import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null in our own environment; the pip we run next
# must read the machine's pip configuration (index, CA bundle) like any other pip.
os.environ.pop("PIP_CONFIG_FILE", None)
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *args])
