"""`block-attack replay verify FILE` and `block-attack replay show FILE`, and the server's replay
flags (`--replay-seconds`, `--replay-dir`, `--replay-megabytes`); docs/replays.md."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from block_attack.flag_types import COUNT, seconds
from server.replay import ReplayFormatError, RulesVersionError, load
from server.replay_verify import final_report, summary, verify
from server.wire import REPLAY_MEGABYTES, REPLAY_SECONDS

BAD_FILE = 2  # the exit status for a file that is not a replay this build reads
DIFFERS = 1  # the file is a replay, but the rules disagree with it (or it has other rules)
_SECONDS = seconds(zero=True, below=float("inf"))  # 0 keeps none


def _directory(value: str) -> str:
    if not Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is not a directory")
    return value


def add_replay_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--replay-seconds", type=_SECONDS, default=REPLAY_SECONDS,
                        help="how long an ended match's replay can be fetched "
                             f"(default {REPLAY_SECONDS:g}; 0 keeps none in memory)")
    parser.add_argument("--replay-dir", type=_directory, default=None,
                        help="also write each replay to DIR/<game_name>.json (default off)")
    parser.add_argument("--replay-megabytes", type=COUNT, default=REPLAY_MEGABYTES,
                        help="memory for kept replays in all; the oldest go first past it "
                             f"(default {REPLAY_MEGABYTES})")


def replay_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The ServerSettings fields of the flags above."""
    return {"replay_seconds": args.replay_seconds, "replay_dir": args.replay_dir,
            "replay_megabytes": args.replay_megabytes}


def add_replay_command(commands: Any) -> None:
    replay = commands.add_parser("replay", help="verify or summarise a replay file")
    actions = replay.add_subparsers(dest="replay_command", required=True)
    verify_parser = actions.add_parser(
        "verify", help="re-judge every lock with the rules; exit 1 saying where the file differs")
    verify_parser.add_argument("file", type=Path, help="a replay (<game_name>.json)")
    show = actions.add_parser("show", help="print a summary: players, result, pieces, lines")
    show.add_argument("file", type=Path, help="a replay (<game_name>.json)")


def run_replay(args: argparse.Namespace) -> int:
    try:
        doc = load(args.file.read_bytes())
    except RulesVersionError as exc:
        print(f"block-attack: {args.file}: {exc}", file=sys.stderr)
        return DIFFERS
    except (OSError, ReplayFormatError) as exc:
        print(f"block-attack: {args.file}: not a replay this build reads: {exc}",
              file=sys.stderr)
        return BAD_FILE
    if args.replay_command == "show":
        print(summary(doc))
        return 0
    verdict = verify(doc)
    if verdict.mismatch is not None:
        print(f"block-attack: {args.file}: does not verify: {verdict.mismatch}", file=sys.stderr)
        return DIFFERS
    print(final_report(verdict))
    print(f"verified: all {sum(b['pieces'] for b in doc['result']['boards'])} locks re-judged "
          f"under rules version {doc['rules']}; the file's fields, scores and winner hold")
    return 0
