"""E-certificates of a passed awareness survey, and share posters of any quiz result."""
