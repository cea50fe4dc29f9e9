"""Carrying an exception from a worker process to the main process, traceback text included.

A traceback object cannot be pickled, so the worker formats it to text; the main process then
raises a new exception of the same class whose message holds that text (PyTorch's
``ExceptionWrapper`` behaviour): ``Caught ValueError in DataLoader worker process 0.\\nOriginal
Traceback (most recent call last): ...``.
"""
import pickle
import sys
import traceback

__all__ = ["ExceptionWrapper"]


class KeyErrorMessage(str):
    """A str whose repr is itself: ``KeyError`` shows ``repr(arg)``, which would print the
    multi-line traceback text as one escaped line."""

    def __repr__(self):
        return self


def _picklable(obj):
    try:
        pickle.dumps(obj)
        return True
    except Exception:
        return False


class ExceptionWrapper:
    """The type and formatted traceback of an exception, re-raisable in another process."""

    def __init__(self, exc_info=None, where="in background"):
        # Keep only the type and text, never the traceback object: it would pin every frame's
        # locals (a whole batch, say) alive, and it cannot cross a process boundary anyway.
        if exc_info is None:
            exc_info = sys.exc_info()
        exc_type = exc_info[0]
        self.exc_type_name = exc_type.__name__
        # A class defined where the main process can't import it (a local class) would make the
        # whole message unpicklable; RuntimeError still carries the text.
        self.exc_type = exc_type if _picklable(exc_type) else RuntimeError
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raises the wrapped exception's class with the original traceback in its message.

        Classes whose constructor does not take one message argument are replaced by
        ``RuntimeError`` with the same message.
        """
        msg = f"Caught {self.exc_type_name} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            # Some exception classes take the text as a `message=` keyword.
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:
            # The traceback holds this frame, whose local would hold the exception again: a
            # cycle that keeps the DataLoader iterator (and its workers) alive until a gc pass.
            exception = None
