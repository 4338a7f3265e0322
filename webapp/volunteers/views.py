"""Staff pages for volunteers (being built)."""

from flask import Blueprint

bp = Blueprint("volunteers", __name__, template_folder="templates")
