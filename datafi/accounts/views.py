from django.contrib.auth import login
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from datafi.accounts import services
from datafi.accounts.forms import SignupForm


def home(request):
    return render(request, "home.html")


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("arena")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            email=form.cleaned_data.get("email") or "",
        )
        login(request, user, backend="datafi.accounts.backends.UserBackend")
        return redirect(request.GET.get("next") or "arena")
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def _error(request, status: int, code: str, detail: str):
    if _wants_json(request):
        return JsonResponse({"code": code, "detail": detail}, status=status)
    return render(request, "error.html", {"status": status, "detail": detail}, status=status)


def error_400(request, exception=None):
    return _error(request, 400, "bad_request", "The request could not be understood.")


def error_403(request, exception=None):
    return _error(request, 403, "forbidden", "You are not allowed to do that.")


def error_404(request, exception=None):
    return _error(request, 404, "not_found", "Nothing here.")


def error_500(request):
    return _error(request, 500, "server_error", "Something went wrong on our side.")
