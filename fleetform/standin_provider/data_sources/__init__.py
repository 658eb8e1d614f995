"""The stand-in's data sources, one module each."""
