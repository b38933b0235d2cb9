"""One exception handler: every error is Sentry's {"detail": ...} or DRF's field map.

A lookup that finds nothing is Sentry's 404 here, whatever raised it: ResourceDoesNotExist,
Django's Http404, or a model's DoesNotExist that a selector or service let through (an
unknown environment, event or organization; an issue deleted while a PUT waited for its
lock). Views do not catch them one by one."""

import logging
import uuid

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from issues_api.api.outage import answered_unavailable, log_unavailable, unavailable_detail
from issues_api.api.parsers import PayloadTooLarge

logger = logging.getLogger("issues_api")


class ResourceDoesNotExist(exceptions.NotFound):
    default_detail = "The requested resource does not exist"


def sentry_exception_handler(exc, context):
    detail = unavailable_detail(exc)
    if detail is not None:
        log_unavailable(context["request"], exc, detail)
        return answered_unavailable(
            Response({"detail": detail}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        )
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = ResourceDoesNotExist()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Too many fields, a malformed host and the like: the client's fault, never a 500.
        exc = exceptions.ParseError(str(exc) or "Bad request.")
    response = exception_handler(exc, context)
    if response is not None:
        return response
    error_id = uuid.uuid4().hex
    logger.exception("Unhandled error %s", error_id, exc_info=exc)
    return Response(
        {"detail": "Internal Error", "errorId": error_id},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
