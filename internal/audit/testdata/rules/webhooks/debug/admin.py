from flask import Flask

admin = Flask(__name__)


@admin.get("/health")
def health():
    return "ok"


if __name__ == "__main__":
    admin.run(debug=True)
