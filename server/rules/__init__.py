"""The rules of Block Attack, pure: no sockets, threads, clocks or imports from outside this
package. `static/js/rules/` mirrors it file for file; the vectors in `tests/vectors/` keep the two
equal."""
