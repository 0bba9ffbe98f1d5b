"""The rules of Block Attack, pure: no sockets, threads, clocks or imports from outside this
package. `static/js/rules/` mirrors it file for file; the vectors in `tests/vectors/` keep the two
equal."""

from typing import Final

# The rules' version: game_start sends it, a page built for another version reloads, and a
# recorded replay keeps the version it was played under (docs/rules.md "Rules version").
RULES_VERSION: Final = 2
