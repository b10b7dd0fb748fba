"""The jsii kernel, the Node process that runs the CDK behind its Python API, started so that Ctrl-C leaves nothing behind.

jsii starts the kernel in our process group, so Ctrl-C reaches it at the same moment as Python: it dies at once,
skipping its clean-up, and its `jsii-kernel-*` folder (the CDK's unpacked libraries) stays in the temporary
directory (aws/jsii issue 700). Started here, the kernel has a session of its own, which the terminal's Ctrl-C does
not reach, and a temporary directory of its own: `stop` asks it to exit, kills it if it is busy, and removes that
directory with whatever the kernel left in it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile

#: How long a kernel asked to exit may take to clean up before it is killed.
EXIT_TIMEOUT_S = 2.0

_kernel: subprocess.Popen | None = None
_kernel_tmpdir: str | None = None


def start() -> None:
    """Start the kernel by importing `constructs`, the first jsii library, unless a jsii library started it already."""
    global _kernel_tmpdir
    if "constructs" in sys.modules:
        return
    _kernel_tmpdir = tempfile.mkdtemp(prefix="loadmaster-jsii-")
    # Registered before jsii registers its own exit hook, so it runs after the kernel was told to exit.
    atexit.register(shutil.rmtree, _kernel_tmpdir, True)
    spawn = subprocess.Popen

    def spawn_apart(args, **options):
        global _kernel
        options["env"] = {**options.get("env", os.environ), "TMPDIR": _kernel_tmpdir}
        _kernel = spawn(args, start_new_session=True, **options)
        return _kernel

    subprocess.Popen = spawn_apart  # jsii offers no other way to choose how its kernel is spawned
    try:
        import constructs  # noqa: F401
    finally:
        subprocess.Popen = spawn


def stop() -> None:
    """Stop the kernel now (after a Ctrl-C): the CDK cannot be used afterwards in this process."""
    if _kernel is not None and _kernel.poll() is None:
        with contextlib.suppress(OSError):  # the kernel may have gone already
            _kernel.stdin.write(b'{"exit":0}\n')  # what jsii itself sends at exit
        with contextlib.suppress(OSError):
            _kernel.stdin.close()  # closed, jsii's own exit hook sends nothing more
        try:
            _kernel.wait(EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # busy with a call that nobody waits for any more
            os.killpg(_kernel.pid, signal.SIGKILL)  # the runtime and the kernel it runs, both in the kernel's session
            _kernel.wait()
    if _kernel_tmpdir is not None:
        shutil.rmtree(_kernel_tmpdir, ignore_errors=True)
