"""The environment the ngrok agent is started with: what ngrok needs, never the console's secrets.

pyngrok 9 starts ngrok with ``subprocess.Popen(argv, stdout=PIPE, ...)`` and no ``env``, so the
child would inherit the whole console environment: ``TWILIO_AUTH_TOKEN``, the API key secret and
whatever else the console was started with. A third-party process's environment is readable by
that process, by anything it spawns and (``/proc/<pid>/environ``) by the same user, so it is the
same kind of leak as a token on the command line.

pyngrok offers no supported way to choose the child's environment: ``PyngrokConfig`` passes only
``start_new_session`` on to ``Popen``, and there is no popen-kwargs or launcher hook (checked in
pyngrok 9.1's ``process.py``/``conf.py`` and its docs and issues). The options were:

* clearing ``os.environ`` around the start: races every other thread and loses values the
  console still needs (ruled out);
* a launcher script as ``ngrok_path`` (``env -i ... ngrok "$@"``): POSIX-only, another file to
  write and keep executable, and it breaks pyngrok's download-to-``ngrok_path`` and its
  one-process-per-path bookkeeping;
* starting ngrok ourselves and registering it with pyngrok: copies pyngrok's startup loop and
  leans on several private names (``_log_startup_line``, ``_current_processes``, ...);
* **what is done here**: ``pyngrok.process`` reaches the standard library through its module
  global ``subprocess``; :func:`install` points that one global (in pyngrok's module only, not
  the real ``subprocess`` module) at :data:`SCRUBBED_SUBPROCESS`, which forwards everything to
  ``subprocess`` but gives ``Popen``/``run``/``call``/``check_call``/``check_output`` the
  environment from :func:`child_environment`. Every ngrok process pyngrok starts (the agent,
  ``config``/``version``/``update`` commands) is covered, nobody else is affected, the swap is
  one idempotent attribute assignment, and ``os.environ`` is never touched. If a future pyngrok
  stops using that global, :func:`install` refuses (fail closed) instead of leaking.

:func:`child_environment` is an allowlist, so secrets under names nobody thought of stay out
too: the search path, home and temp folders, locale, TLS trust (``SSL_CERT_FILE``/``_DIR``),
outbound proxies (``HTTPS_PROXY`` & co., which ngrok must use to get out), what Windows programs
need (``SYSTEMROOT``, ``APPDATA``, ...) and ngrok's own ``NGROK_*`` settings, minus the
secret-bearing names the console reads (``console.secrets.ENV_VARS``, e.g. ``NGROK_AUTHTOKEN``)
and ``NGROK_API_KEY``: the console hands ngrok its auth token in the private config file only.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from functools import wraps
from types import ModuleType
from typing import Any, Final

from pyngrok import process

from console.secrets import ENV_VARS
from console.tunnel.ngrok_errors import TunnelStartError

#: Variables passed to ngrok (compared case-insensitively: Windows names are).
PASSED_NAMES: Final = frozenset(
    {
        # where things are
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "TMPDIR",
        "TEMP",
        "TMP",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "XDG_DATA_HOME",
        "XDG_STATE_HOME",
        "XDG_RUNTIME_DIR",
        # language and time
        "LANG",
        "LANGUAGE",
        "TZ",
        # TLS trust and the way out (Go's net/http reads these)
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        # what Windows programs expect
        "SYSTEMROOT",
        "SYSTEMDRIVE",
        "WINDIR",
        "COMSPEC",
        "PATHEXT",
        "USERPROFILE",
        "USERNAME",
        "APPDATA",
        "LOCALAPPDATA",
        "PROGRAMDATA",
        "HOMEDRIVE",
        "HOMEPATH",
        "COMPUTERNAME",
        "NUMBER_OF_PROCESSORS",
        "PROCESSOR_ARCHITECTURE",
        "OS",
    }
)
#: Prefixes of passed variables: the locale categories and ngrok's own settings.
PASSED_PREFIXES: Final = ("LC_", "NGROK_")
#: Never passed, even when a rule above matches: the console's secret-bearing variables.
WITHHELD_NAMES: Final = frozenset({*(name.upper() for name in ENV_VARS.values()), "NGROK_API_KEY"})

_SPAWNERS: Final = ("Popen", "run", "call", "check_call", "check_output")


def child_environment(source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The part of ``source`` (default: ``os.environ`` now) that an ngrok process may see."""
    env = os.environ if source is None else source
    kept: dict[str, str] = {}
    for name, value in env.items():
        upper = name.upper()
        if upper in WITHHELD_NAMES:
            continue
        if upper in PASSED_NAMES or upper.startswith(PASSED_PREFIXES):
            kept[name] = value
    return kept


class ScrubbedSubprocess(ModuleType):
    """Looks like the ``subprocess`` module, but every process it starts gets a scrubbed env.

    An ``env`` a caller passes is scrubbed too; without one, ``os.environ`` at that moment is.
    """

    def __init__(self) -> None:
        super().__init__(subprocess.__name__, subprocess.__doc__)
        for name in _SPAWNERS:
            setattr(self, name, self._scrubbing(getattr(subprocess, name)))

    @staticmethod
    def _scrubbing(spawn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(spawn)
        def scrubbed(*args: Any, **kwargs: Any) -> Any:
            kwargs["env"] = child_environment(kwargs.get("env"))
            return spawn(*args, **kwargs)

        return scrubbed

    def __getattr__(self, name: str) -> Any:
        """Constants and classes (PIPE, CalledProcessError, ...) are the real module's; any
        other way to start a process (``getoutput``, ``getstatusoutput``, …) is refused, since
        it would inherit the console's environment."""
        found = getattr(subprocess, name)
        if callable(found) and not isinstance(found, type):
            raise AttributeError(
                f"subprocess.{name} is not available to pyngrok here: it would start ngrok with "
                "the console's environment (see console/tunnel/ngrok_env.py)"
            )
        return found


#: The one stand-in installed into ``pyngrok.process``.
SCRUBBED_SUBPROCESS: Final = ScrubbedSubprocess()


def install() -> None:
    """Make every process pyngrok starts get :func:`child_environment`; safe to call again.

    Raises TunnelStartError (not retryable) when this pyngrok no longer starts processes
    through ``pyngrok.process.subprocess``: ngrok is then not started at all rather than
    started with the console's secrets.
    """
    current = getattr(process, "subprocess", None)
    if current is SCRUBBED_SUBPROCESS:
        return
    if current is not subprocess:
        raise TunnelStartError(
            "This pyngrok version starts ngrok in a way the console cannot check, so ngrok "
            "was not started (it would have inherited the console's Twilio secrets). "
            "Install a pyngrok release the console supports (9.x) or report this.",
            retryable=False,
        )
    process.subprocess = SCRUBBED_SUBPROCESS  # type: ignore[attr-defined]  # module stand-in
