"""`python -m benchmarks`: the speed benchmark (see benchmarks/speed.py and --help)."""

import sys

from .speed import main

sys.exit(main())
