from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from datafi.ops import metrics as ops_metrics
from datafi.ops.health import health_report


@never_cache
@require_GET
def healthz(request):
    status, report = health_report()
    return JsonResponse(report, status=status)


@never_cache
@require_GET
def metrics(request):
    """Prometheus text: request metrics (summed over gunicorn's workers in
    multiprocess mode) and the shared state read from the database."""
    body, content_type = ops_metrics.exposition()
    return HttpResponse(body, content_type=content_type)
