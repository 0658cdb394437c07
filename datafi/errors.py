"""The client-error exception, apart from datafi.api so that the input layer (which
DRF's settings import while datafi.api is still importing DRF) can build on it."""

from django.utils.functional import Promise


class ApiError(Exception):
    """Raised by services for a client error; views turn it into a 4xx.

    ``detail`` may be a lazy translation (an ApiError built once, at import):
    it is read in the language active when the answer is written.
    ``retry_after`` (seconds) becomes a Retry-After header on the API and the site.
    """

    def __init__(
        self, code: str, detail: str, status_code: int = 400, *, retry_after: int | None = None
    ):
        super().__init__(detail)
        self.code = code
        self._detail = detail
        self.status_code = status_code
        # Seconds until a refused request (a limit's 429) may succeed: Retry-After.
        self.retry_after = retry_after

    @property
    def detail(self):
        return str(self._detail) if isinstance(self._detail, Promise) else self._detail
