"""Where the server URL and the token come from: arguments, then the environment, then the
file ``autoglm login`` writes (the CLI's stored config), in that order."""

from __future__ import annotations

import json
import os
from typing import Dict, Optional, Tuple

from .errors import AutoglmError

__all__ = ["config_path", "resolve_config"]


def config_path(env: Optional[Dict[str, str]] = None) -> str:
    """``$AUTOGLM_CONFIG``, else ``$XDG_CONFIG_HOME/autoglm/config.json``, else ``~/.config/autoglm/config.json``."""
    env = os.environ if env is None else env
    if env.get("AUTOGLM_CONFIG"):
        return env["AUTOGLM_CONFIG"]
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "autoglm", "config.json")


def _read_stored(path: str) -> Dict[str, str]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise AutoglmError("cannot read %s (%s); run `autoglm login` again" % (path, e.__class__.__name__), code="CONFIG")
    if not isinstance(data, dict):
        raise AutoglmError("%s is not a JSON object; run `autoglm login` again" % path, code="CONFIG")
    return {k: v for k, v in data.items() if k in ("server", "token") and isinstance(v, str)}


def resolve_config(
    server: Optional[str] = None, token: Optional[str] = None, env: Optional[Dict[str, str]] = None
) -> Tuple[str, str]:
    """The server and token to use; raises ``AutoglmError(code="CONFIG")`` naming what is missing."""
    env = os.environ if env is None else env
    server = server or env.get("AUTOGLM_SERVER") or None
    token = token or env.get("AUTOGLM_TOKEN") or None
    if not server or not token:
        stored = _read_stored(config_path(env))
        server = server or stored.get("server")
        token = token or stored.get("token")
    if not server or not token:
        missing = " and ".join(n for n, v in (("server", server), ("token", token)) if not v)
        raise AutoglmError(
            "no %s configured: pass autoglm.Client(server=..., token=...), set AUTOGLM_SERVER / AUTOGLM_TOKEN, "
            "or run `autoglm login --server URL --token T`" % missing,
            code="CONFIG",
        )
    return server, token
