"""The `loadmaster` script (and `python -m loadmaster`): `loadmaster.cli`, ended the way shells expect at any moment,
imports included.

Ctrl-C ends with one line and exit 130, the jsii kernel stopped and its files removed (`loadmaster.kernel`); a reader
that stopped reading (`loadmaster plan x.yaml | head -1`) ends it silently, as it ends `yes`; any other failure of
the environment (a full disk, an unwritable folder) is one line and exit 2.
"""

from __future__ import annotations

import os
import sys

from loadmaster import kernel
from loadmaster.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED

#: Exit code when the reader of stdout went away: 128 + SIGPIPE, as the shells report `yes | head -1`.
EXIT_BROKEN_PIPE = 141


def main() -> int:
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


if __name__ == "__main__":
    sys.exit(main())
