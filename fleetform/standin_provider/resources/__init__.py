"""The stand-in's resource types, one module each."""
