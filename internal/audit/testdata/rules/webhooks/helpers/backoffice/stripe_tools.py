import json


def load_event(request):
    return json.loads(request.data)
