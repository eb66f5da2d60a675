"""A stop signal as a KeyboardInterrupt, never lost in a finaliser.

Python runs a signal's handler at the next instruction of the main thread, which may be inside a
finaliser (a weakref callback, a ``__del__``) that the garbage collector started; an exception
raised there is printed as "Exception ignored in ..." and dropped. This handler then raises the
signal again instead, so that it is handled once the finaliser has returned. Only builtin modules
are imported: ``toygan._entry`` installs it before anything slow is imported.
"""

import _thread

__all__ = ["interrupt"]


def interrupt(signum, frame):
    """A stop signal as a KeyboardInterrupt, except inside a finaliser (a weakref callback, a
    ``__del__``), where Python would print "Exception ignored" and drop it: there the signal is
    raised again, to be handled once the finaliser has returned."""
    if _in_finaliser(frame):
        _thread.interrupt_main(signum)  # (this handler runs again at the next instruction)
        return
    raise KeyboardInterrupt


def _in_finaliser(frame, depth: int = 4) -> bool:
    """Whether ``frame``, or one of the few that called it, is a finaliser's."""
    while frame is not None and depth > 0:
        code = frame.f_code
        if code.co_name == "__del__" or code.co_filename.endswith(("weakref.py", "_weakrefset.py")):
            return True
        frame, depth = frame.f_back, depth - 1
    return False
