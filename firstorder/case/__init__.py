"""The model: cases, the registry and how cases are loaded."""
