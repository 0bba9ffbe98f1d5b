"""Every flag can also come from the environment: `--match-seconds` from
`BLOCK_ATTACK_MATCH_SECONDS`, `--trust-proxy` from `BLOCK_ATTACK_TRUST_PROXY=1`. A flag on the
command line wins. A bad value gets the flag's own check and error, naming the variable."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from typing import Any

PREFIX = "BLOCK_ATTACK_"
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})
_NOT_SETTINGS = (argparse._HelpAction, argparse._SubParsersAction, argparse._VersionAction)


def variable_for(action: argparse.Action) -> str | None:
    """`--max-matches` -> BLOCK_ATTACK_MAX_MATCHES; None for actions no variable sets."""
    if isinstance(action, _NOT_SETTINGS):
        return None
    long = [option for option in action.option_strings if option.startswith("--")]
    if not long:
        return None
    return PREFIX + long[0][2:].upper().replace("-", "_")


class EnvironmentParser(argparse.ArgumentParser):
    """An ArgumentParser whose defaults come from the environment; its subparsers are too
    (argparse makes them of the parent's class), each reading only when its command runs."""

    environ: Mapping[str, str] = os.environ

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        for action in self._actions:
            name = variable_for(action)
            if name is not None and name in self.environ:
                action.default = self._from_environment(action, name, self.environ[name])
        return super().parse_known_args(args, namespace)

    def _from_environment(self, action: argparse.Action, name: str, text: str) -> Any:
        if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
            word = text.strip().lower()
            if word not in TRUE | FALSE:
                self.error(f"environment variable {name}: expected 1/0, true/false, yes/no or "
                           f"on/off, got {text!r}")
            on = word in TRUE
            return on if isinstance(action, argparse._StoreTrueAction) else not on
        try:
            value = text if action.type is None else action.type(text)  # type: ignore[operator]
        except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
            self.error(f"environment variable {name}: {exc}")
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(str, action.choices))
            self.error(f"environment variable {name}: {text!r} is not one of {choices}")
        return value
