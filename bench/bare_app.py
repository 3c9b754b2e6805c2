"""The baseline's bare Flask app: one small JSON endpoint, nothing else (no DB, no Redis, no middleware)."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/json")
def json_endpoint():
    return jsonify(status="ok", service="bare-flask", value=42)
