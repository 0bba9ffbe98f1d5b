"""`block-attack` with every match dealing one seed's pieces, for a server without `--seed`:

    python -m bench.seeded_server SEED server --port 0 ...

The bench uses it only when `block-attack server --help` lists no `--seed`.
"""

from __future__ import annotations

import dataclasses
import sys

from block_attack import cli


def main() -> int:
    seed, argv = int(sys.argv[1]), sys.argv[2:]
    settings = cli._server_settings
    cli._server_settings = lambda args: dataclasses.replace(settings(args), match_seed=seed)
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
