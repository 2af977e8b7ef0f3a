"""Ctrl-C and SIGTERM as requests to stop training at the next step, with a checkpoint."""

import signal
import threading

# What a cluster, a preemptible VM or `kill` sends before taking a process away, and what Ctrl-C sends.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
  """While entered, SIGINT and SIGTERM are recorded instead of ending the process; a second Ctrl-C ends it.

  The training loop reads `received` every step and, when one arrived (on any worker, as the training
  step reduces it), saves a checkpoint and returns. Outside the main thread, where Python cannot handle
  signals, this does nothing.
  """

  def __init__(self):
    self.received = None  # The first signal's number, once one arrives.
    self._previous = {}

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      self._previous = {number: signal.signal(number, self._record) for number in STOP_SIGNALS}
    return self

  def __exit__(self, *exc_info):
    for number, handler in self._previous.items():
      signal.signal(number, handler)
    self._previous = {}

  @property
  def name(self):
    """The first signal's name (`"SIGTERM"`), or None."""
    return None if self.received is None else signal.Signals(self.received).name

  def _record(self, number, frame):
    if self.received is not None and number == signal.SIGINT:
      raise KeyboardInterrupt
    if self.received is None:
      self.received = number
