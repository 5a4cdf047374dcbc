"""``python -m conformance.cli``: the ``druid-conformance`` command."""

import sys

from conformance.cli import main

sys.exit(main())
