"""pydl.utils: helpers outside the core API: ``hooks`` (``RemovableHandle``)."""
