from flask_smorest import Blueprint

PREFIX = ""
blp = Blueprint("api_volunteers", __name__, description="volunteers")
