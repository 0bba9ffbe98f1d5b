"""The wire's constants, each declared once (docs/protocol.md): size limits, the patterns of
names and tokens, the error reasons, and the defaults of the server and its command line.

The protocol, the service, the bridge and the CLI read them from here; nothing else repeats them.
"""

from __future__ import annotations

import enum
from typing import Final

# -- sizes --------------------------------------------------------------------------------------

MAX_DATAGRAM: Final = 1200  # payload bytes either way: a conservative MTU, no IP fragmentation
MAX_LOCKS: Final = 16  # per request; clients send at most 8 unacknowledged locks
MAX_TIMESTAMP: Final = 2**53  # JavaScript's safe integers: anything larger is not a real clock
PREVIEW: Final = 14  # pieces in next_block: the piece in hand and 13 to come
SHORT_PREVIEW: Final = 7  # next_block when a full one would not fit
SPECTATE_PREVIEW: Final = 5  # coming pieces in a spectate's `next`: the NEXT panel's count

CLIENT_COMMANDS: Final = frozenset(
    {"connect", "game_flux", "leave", "probe", "rematch", "challenges", "watch"}
)
MAX_CHALLENGERS: Final = 8  # names a `challenges` answer lists, oldest first
BATTLE_LOG: Final = 6  # battle events a `spectate` carries, newest last
# Requests the server answers but the bridge does not relay: it fetches replays itself.
FETCH_COMMANDS: Final = frozenset({"replay"})

# -- patterns (regular expressions, matched whole) ----------------------------------------------

NAME_PATTERN: Final = r"[A-Za-z0-9_ .-]{1,16}"  # ASCII: 16 characters are 16 bytes
GAME_NAME_PATTERN: Final = r"[A-Za-z0-9_-]{1,64}"
TOKEN_PATTERN: Final = r"[A-Za-z0-9_-]{1,64}"  # seat tokens and address cookies
# A client's own secret for its seat (connect's `key`): at least 96 random bits, base64url.
KEY_PATTERN: Final = r"[A-Za-z0-9_-]{16,64}"


class Reason(enum.StrEnum):
    """Every `reason` of an `error` reply (the table in docs/protocol.md "Errors")."""

    TOO_LARGE = "too_large"
    BAD_JSON = "bad_json"
    NOT_OBJECT = "not_object"
    UNKNOWN_COMMAND = "unknown_command"
    BAD_FIELD = "bad_field"
    BAD_NAME = "bad_name"
    UNKNOWN_GAME = "unknown_game"
    GAME_FULL = "game_full"
    NAME_TAKEN = "name_taken"
    NOT_IN_GAME = "not_in_game"
    BAD_TOKEN = "bad_token"
    SERVER_FULL = "server_full"
    TOO_MANY_WAITING = "too_many_waiting"
    TOO_MANY_MATCHES = "too_many_matches"  # the address holds its share of matches already
    RATE_LIMITED = "rate_limited"  # the bridge's own: frames over its per-WebSocket rate
    TOO_EARLY = "too_early"  # a lock during the countdown (game_flux `rejected.reason`)
    MOVED = "moved"  # to a seat's old address: the seat went on from another tab
    TOO_MANY_WATCHERS = "too_many_watchers"
    NO_REMATCH = "no_rematch"  # the match has not ended, or a player has left it
    SERVER_SHUTDOWN = "server_shutdown"  # draining: no new match here (nor elsewhere to send it)
    DIRECTORY_UNAVAILABLE = "directory_unavailable"  # a cluster node or bridge cannot reach Redis
    TOO_MANY_BOTS = "too_many_bots"  # the server plays --max-bot-matches against the computer


# -- defaults (ServerSettings, MatchSettings, GuardSettings and the CLI read these) -------------

SERVER_HOST: Final = "127.0.0.1"
SERVER_PORT: Final = 9999
BRIDGE_PORT: Final = 8080
MATCH_SECONDS: Final = 180.0
DISCONNECT_SECONDS: Final = 10.0  # silence that loses a running match
LINGER_SECONDS: Final = 60.0  # how long an ended match keeps answering with game_end
EFFECT_GRACE_SECONDS: Final = 5.0  # an effect not taken at a lock by then is applied anyway
COUNTDOWN_SECONDS: Final = 3.0  # from pairing to the first piece (the CLI's default)
CLOSED_GRACE_SECONDS: Final = 3.0  # a closed tab's seat waits this long for a reload
REMATCH_SECONDS: Final = 30.0  # a rematch asked and not answered by then expires
MAX_WATCHERS_PER_MATCH: Final = 16
MAX_WATCHERS: Final = 1000  # spectators of all matches together
WATCH_IDLE_SECONDS: Final = 10.0  # a spectator not heard from this long is dropped
SPECTATE_INTERVAL_SECONDS: Final = 0.1  # at most ~10 spectate pushes a second per match
DATAGRAMS_PER_SECOND: Final = 100.0  # per source address, sustained; bursts of twice that
AMPLIFICATION: Final = 3  # RFC 9000 §8.1: at most 3x the bytes received until validated
MAX_PEERS: Final = 65_536  # addresses the guard remembers
MAX_MATCHES: Final = 10_000  # waiting and running together
MAX_WAITING_PER_ADDRESS: Final = 4
# Matches (waiting, running or lingering) one untrusted IP (an IPv6 /64) may hold at once.
MAX_MATCHES_PER_ADDRESS: Final = 16
# Source networks that count as proven: nobody off this host can send from loopback.
TRUSTED_NETWORKS: Final = "127.0.0.0/8,::1/128"
# Threads serving datagrams besides the reading one; 0: the reading thread serves (fastest on one
# core: no hand-off between threads, and the GIL lets only one run at a time anyway).
WORKERS: Final = 0
QUEUED_DATAGRAMS: Final = 256  # datagrams waiting to be served; beyond that they are dropped
TICK_SECONDS: Final = 0.05  # how often the timer thread looks for due deadlines
# A server that owns its process runs the garbage collector's full collection from the timer
# thread this often, never mid-request (server/udp.py _Collector).
GC_FULL_SECONDS: Final = 600.0
REPLAY_SECONDS: Final = 600.0  # how long an ended match's replay stays fetchable
REPLAY_MEGABYTES: Final = 64  # all kept replays together; the oldest go first past it

# -- the computer opponent (server/bot.py; docs/protocol.md "Playing the computer") -------------

BOT_PREFIX: Final = "bot:"  # connect's opponent "bot:medium" or "bot:1.5" (pieces per second)
MIN_BOT_PPS: Final = 0.25
MAX_BOT_PPS: Final = 5.0
MAX_BOT_MATCHES: Final = 100  # running matches against the computer at once
# Placement search of all bots together per timer tick (TICK_SECONDS); the rest waits a tick.
BOT_SEARCH_MS: Final = 2.0

# -- a cluster (server/directory.py, bridge/routing.py; docs/operations.md) --------------------

NODE_ID_PATTERN: Final = r"[A-Za-z0-9_.-]{1,32}"
NODE_REFRESH_SECONDS: Final = 1.0  # how often a node rewrites its key
NODE_TTL_SECONDS: Final = 3.0  # a node's key expires this long after its last refresh
DRAIN_SECONDS: Final = 30.0  # on SIGTERM, how long running matches get to end by themselves
SHUTDOWN_NOTICES: Final = 3  # times the server_shutdown game_end is sent (it is UDP)
# A bridge ends a match with `server_lost` when its node has said nothing for this long while
# the browser kept sending and the node's key has expired (with a directory)...
NODE_SILENCE_SECONDS: Final = 2.0
# ...or, whatever the directory says (or with none), after this long.
SERVER_LOST_SECONDS: Final = DISCONNECT_SECONDS
