"""
Overview:
    A live process that holds a folder (``ding_atoc.entry.run_folder.claim``), for the tests of what a second
    process may do meanwhile: shared by ``tests/entry`` and ``tests/bench``.
"""
import contextlib
import os
import subprocess
import sys
from typing import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_HOLD_AND_WAIT = '''
import sys, time
from ding_atoc.entry.run_folder import claim
claim(sys.argv[1])
print("held", flush=True)
time.sleep(300)
'''


@contextlib.contextmanager
def held_by_another_process(folder: str) -> Iterator[subprocess.Popen]:
    """
    Overview:
        Start a process that holds ``folder`` and yield it once it holds; it is killed at the end, so its lock dies
        with it as a crashed run's does.
    """
    holder = subprocess.Popen([sys.executable, '-c', _HOLD_AND_WAIT, folder], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, 'PYTHONPATH': ROOT})
    try:
        assert holder.stdout.readline().strip() == 'held', 'the holding process failed to start'
        yield holder
    finally:
        holder.kill()
        holder.wait()
