"""pydl.utils: helpers outside the core API: ``data`` (datasets, samplers, DataLoader), ``hooks``
(``RemovableHandle``), ``safetensors`` (the safetensors format)."""
