import sys

from lvslab.cli import main

sys.exit(main())
