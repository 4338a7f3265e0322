"""Staff pages for campaigns (being built)."""

from flask import Blueprint

bp = Blueprint("campaigns", __name__, template_folder="templates")
