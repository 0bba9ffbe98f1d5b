"""The `block-attack` command: it sits above `server` and `bridge`, which never import it."""
