from flask_smorest import Blueprint

PREFIX = ""
blp = Blueprint("api_campaigns", __name__, description="campaigns")
