"""JSON, never HTML, for errors Django answers outside DRF (unknown URLs, crashes)."""

from django.http import JsonResponse


def json_not_found(request, exception=None):
    return JsonResponse({"detail": "The requested resource does not exist"}, status=404)


def json_server_error(request):
    return JsonResponse({"detail": "Internal Error"}, status=500)
