"""Reading the TOML file, and laying overrides on it."""

from __future__ import annotations

import copy
import tomllib

from .mistakes import ConfigFileError


def read_toml(path: str) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigFileError(f"{path}: no such file; copy gate.example.toml and edit it") from None
    except IsADirectoryError:
        raise ConfigFileError(f"{path}: is a directory; give the gate's TOML file, e.g. --config gate.toml") from None
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot read it ({exc.strerror}); check the path and its permissions") from None
    except UnicodeDecodeError:
        raise ConfigFileError(f"{path}: not UTF-8 text; save the TOML file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: not valid TOML ({exc}); fix the syntax there") from None


def deep_merge(base: dict, over: dict) -> dict:
    """`base` with `over` laid on top, tables merged key by key (neither argument changes)."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
