"""The framework ceiling: the barest Flask JSON endpoint, served like the real app."""

from flask import Flask

app = Flask(__name__)


@app.get("/ping")
def ping() -> dict:
    return {"ok": True}
