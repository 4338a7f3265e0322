"""The 五进 campaign log: activities, the volunteers who served at them, posters and QR codes."""

# answers the volunteers domain's question of what volunteers served, whichever campaigns module loads first
from webapp.campaigns import served  # noqa: F401
