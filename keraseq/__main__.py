import sys

from keraseq.cli import main

sys.exit(main())
