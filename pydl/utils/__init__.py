"""pydl.utils: helpers outside the core API: ``hooks`` (``RemovableHandle``), ``safetensors`` (the
safetensors format)."""
