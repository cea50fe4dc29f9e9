"""``RemovableHandle``: what every ``register_*_hook`` returns (torch.utils.hooks' name).

One class serves nn.Module hooks and optimizer hooks, and one id counter, so handles from
different registries never collide when a registry is shared.
"""
import itertools

__all__ = ["RemovableHandle"]

_next_id = itertools.count()


class RemovableHandle:
    """Returned by ``register_*_hook``: ``handle.remove()`` (or leaving a ``with`` block)
    unregisters the hook.

    ``hooks`` is the dict the hook is stored in under ``handle.id``; ``extra`` names registries
    (sets of ids, e.g. "this forward hook takes kwargs") the id must also leave on removal.
    """

    def __init__(self, hooks, extra=()):
        self.id = next(_next_id)
        self._hooks = hooks
        self._extra = extra if isinstance(extra, tuple) else (extra,)

    def remove(self):
        """Unregister the hook (a no-op the second time)."""
        self._hooks.pop(self.id, None)
        for registry in self._extra:
            registry.discard(self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
