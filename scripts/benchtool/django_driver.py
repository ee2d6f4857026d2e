# Runs a command under Django's own autoreloader, for scripts/bench.
#
# usage: python3 django_driver.py stat|watchman TREE COMMAND [ARG...]
#
# The structure is Django's run_with_reloader: a parent process re-spawns
# this script with DJANGO_AUTORELOAD_ENV=true for as long as it exits with
# code 3; the re-spawned process runs "the program" in a thread and the
# reloader in its main thread, and exits with 3 on a change. Here the program
# is COMMAND, spawned as a subprocess and stopped when the process exits, so
# every tool in the benchmark restarts the same child. The reloader is
# StatReloader ("stat") or whatever get_reloader() picks ("watchman": the
# WatchmanReloader, talking to the daemon named by WATCHMAN_SOCK, unless
# Django's 0.1 s availability check fails and it falls back to StatReloader,
# which the driver reports on stderr).
# get_reloader() is never called in "stat" mode: without WATCHMAN_SOCK
# pywatchman would start a daemon on the default socket.
import atexit
import ctypes
import os
import pathlib
import signal
import subprocess
import sys

import django
from django.conf import settings
from django.utils import autoreload

mode, tree, command = sys.argv[1], sys.argv[2], sys.argv[3:]
if mode not in ("stat", "watchman") or not command:
    sys.exit("usage: django_driver.py stat|watchman TREE COMMAND [ARG...]")

child = None


def die_with_parent():
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def program():
    global child
    child = subprocess.Popen(command, preexec_fn=die_with_parent)
    child.wait()


@atexit.register
def stop_program():
    if child is not None and child.poll() is None:
        child.terminate()
        child.wait()


def watch_tree(sender, **kwargs):
    sender.watch_dir(pathlib.Path(tree), "**/*.py")


signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
if os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) == "true":
    # The reloader waits for the app registry before it starts watching.
    settings.configure()
    django.setup()
    autoreload.autoreload_started.connect(watch_tree)
    if mode == "stat":
        reloader = autoreload.StatReloader()
    else:
        reloader = autoreload.get_reloader()
        if not isinstance(reloader, autoreload.WatchmanReloader):
            # Django carries on with the StatReloader; so do we, and say so
            # for the benchmark to count.
            print("django_driver: fell back to %s" % type(reloader).__name__, file=sys.stderr, flush=True)
    autoreload.start_django(reloader, program)
else:
    sys.exit(autoreload.restart_with_reloader())
