import sys

from block_attack.cli import main

sys.exit(main())
