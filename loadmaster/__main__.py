"""The `loadmaster` script (and `python -m loadmaster`): `loadmaster.cli`, ended the way shells expect at any moment,
imports included.

Ctrl-C ends with one line and exit 130, the jsii kernel stopped and its files removed (`loadmaster.kernel`); a reader
that stopped reading (`loadmaster plan x.yaml | head -1`) ends it silently, as it ends `yes`; any other failure of
the environment (a full disk, an unwritable folder) is one line and exit 2.

The script runs under `python -O`: the CDK's jsii bindings check every argument's type in Python at run time inside
`if __debug__:` (jsii `_type_checking`), about a third of a large synthesis's Python time, and `-O` drops exactly
those checks. Nothing of loadmaster's relies on `assert` (the tests, run by pytest, keep the checks). It does so
only where the CDK's optimized bytecode is there (`make setup` compiles it) or Python may write it: compiling the
CDK's bindings afresh on every run would cost more than the checks.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from loadmaster import kernel
from loadmaster.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED

#: Exit code when the reader of stdout went away: 128 + SIGPIPE, as the shells report `yes | head -1`.
EXIT_BROKEN_PIPE = 141


def main() -> int:
    if not sys.flags.optimize and _optimized_bytecode_usable():
        # As invoked (`loadmaster ...` or `python -m loadmaster ...`), with -O: the same process, before any import.
        os.execv(sys.executable, [sys.executable, "-O", *sys.orig_argv[1:]])
    try:
        from loadmaster.cli import main as run_command_line  # seconds of imports (scipy, the CDK): Ctrl-C counts here too

        code = run_command_line()
        sys.stdout.flush()  # a closed pipe shows here rather than as a traceback while Python exits
        return code
    except KeyboardInterrupt:
        kernel.stop()
        print("loadmaster: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python flushes stdout once more at exit
        return EXIT_BROKEN_PIPE
    except OSError as error:
        print(f"loadmaster: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _optimized_bytecode_usable() -> bool:
    if not sys.dont_write_bytecode:
        return True
    cdk = importlib.util.find_spec("aws_cdk")  # found, not imported
    return bool(cdk and cdk.origin) and os.path.exists(importlib.util.cache_from_source(cdk.origin, optimization=1))


if __name__ == "__main__":
    sys.exit(main())
