"""A resident coming back: their own record on this phone, and their community's standing."""
