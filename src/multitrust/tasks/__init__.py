"""Task declarations (one module per aspect) and the registry."""
