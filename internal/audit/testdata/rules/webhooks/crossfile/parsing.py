import json


def read_event(request):
    return json.loads(request.data)
