"""A local OpenAI-compatible server for tests and demos (real HTTP, real SSE).

It stands in for remote model providers, which this machine cannot reach. It
speaks ``POST /v1/chat/completions`` (streaming in OpenAI's
``chat.completion.chunk`` SSE format, or plain JSON) and ``POST /v1/moderations``.

Behaviour is chosen by the model id, as ``+``-joined switches::

    anything            a normal answer, streamed word by word
    slow:0.1            wait 0.1 s before each token
    words:80            answer length in words (default 24)
    fail:500            answer HTTP 500 (any status: 429, 503, 401 ...)
    flaky:2:429         the first 2 requests for this model id fail with 429
    drop                stream a few tokens, then cut the connection mid-body
    hang                send nothing until the client gives up
    stall               stream a few tokens, then send nothing
    leak:Some Name      the answer says "I am Some Name, created by OpenAI."
    nousage             never send a usage chunk
    markdown            the answer is MARKDOWN_SAMPLE (bold, code, a code block,
                        inline and display math), streamed in small pieces

e.g. ``slow:0.05+leak:Halcyon-9``. Run it on its own with
``python -m tests.openai_stub_server --port 9100``.
"""

import argparse
import hashlib
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STYLES = [
    "Short answer first, then the detail.",
    "Let me walk through it step by step.",
    "Here is a careful, balanced view.",
    "In plain words:",
]
FILLER = (  # noqa: SIM905 (prose reads better than a list)
    "the key idea is to start from what you know, check each step against it, "
    "and keep the result simple enough to explain to a friend over coffee while "
    "noting the trade-offs and the cases where it does not hold at all"
).split()


MARKDOWN_SAMPLE = (
    "The **short answer** is to call `sorted()` on the list.\n\n"
    "```python\n"
    "words = sorted(words, key=len)\n"
    "print(words)\n"
    "```\n\n"
    "Sorting costs $O(n \\log n)$ comparisons, and the mean is\n\n"
    "$$\\bar{x} = \\frac{1}{n}\\sum_{i=1}^{n} x_i$$\n\n"
    "That is **all** there is to it."
)


def parse_switches(model: str) -> dict:
    out: dict = {}
    for part in (model or "").split("+"):
        name, _, arg = part.partition(":")
        out[name.strip().lower()] = arg
    return out


def answer_words(model: str, messages: list, n_words: int, leak: str | None) -> list[str]:
    users = [m for m in messages if m.get("role") == "user"]
    last = str(users[-1].get("content", "")) if users else ""
    excerpt = " ".join(last.split()[:8])
    # The style depends on the model id (so two models differ) without naming it.
    style = STYLES[int(hashlib.sha256(model.encode()).hexdigest(), 16) % len(STYLES)]
    words = f"{style} You asked: “{excerpt}”. This is turn {len(users)}.".split()
    if leak:
        words += f"By the way, I am {leak}, created by OpenAI.".split()
    words += [FILLER[i % len(FILLER)] for i in range(max(0, n_words - len(words)))]
    return words if leak else words[:n_words]


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "StubServer"

    def log_message(self, format, *args):  # quiet
        pass

    # --- helpers ---------------------------------------------------------------
    def _json(self, status: int, body: dict, headers: dict | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, payload: str):
        data = payload.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _event(self, obj):
        self._chunk("data: " + (obj if isinstance(obj, str) else json.dumps(obj)) + "\n\n")

    def _sleep(self, seconds: float):
        """Sleep, but give up early when the server shuts down."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.server.stopping.is_set():
            time.sleep(min(0.02, max(0.0, end - time.monotonic())))

    # --- routes ----------------------------------------------------------------
    def do_GET(self):
        if self.path.rstrip("/") in {"/v1/models", "/models"}:
            return self._json(200, {"object": "list", "data": []})
        self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._json(400, {"error": {"message": "bad json", "type": "invalid_request"}})
        path = self.path.rstrip("/")
        self.server.record(path, body, dict(self.headers))
        if path.endswith("/moderations"):
            return self._moderation(body)
        if path.endswith("/chat/completions"):
            self.server.enter()
            try:
                return self._chat(body)
            finally:
                self.server.leave()
        self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def _moderation(self, body):
        text = str(body.get("input", "")).lower()
        flagged = any(word in text for word in self.server.flag_words)
        self._json(
            200,
            {
                "id": f"modr-{uuid.uuid4().hex[:12]}",
                "model": "stub-moderation",
                "results": [
                    {
                        "flagged": flagged,
                        "categories": {"violence": flagged},
                        "category_scores": {"violence": 0.99 if flagged else 0.01},
                    }
                ],
            },
        )

    def _chat(self, body):
        if self.server.api_key and self.headers.get("Authorization") != (
            f"Bearer {self.server.api_key}"
        ):
            return self._json(
                401, {"error": {"message": "Incorrect API key", "type": "invalid_api_key"}}
            )
        model = str(body.get("model", ""))
        sw = parse_switches(model)
        if "fail" in sw:
            return self._error(int(sw["fail"] or 500))
        if "flaky" in sw:
            count, _, code = sw["flaky"].partition(":")
            if self.server.bump(model) <= int(count or 1):
                return self._error(int(code or 500))
        if "hang" in sw:
            self._sleep(self.server.hang_s)
            self.close_connection = True
            return
        n_words = int(sw.get("words") or 24)
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        words = answer_words(model, body.get("messages") or [], n_words, sw.get("leak"))
        if "markdown" in sw:
            # Pieces keep their whitespace (newlines matter in Markdown) and cut
            # through "**" and "$$", as a real tokenizer does.
            words = [MARKDOWN_SAMPLE[i : i + 3] for i in range(0, len(MARKDOWN_SAMPLE), 3)]
        finish = "stop"
        if max_tokens and len(words) > int(max_tokens):
            words, finish = words[: int(max_tokens)], "length"
        tokens = (
            words if "markdown" in sw else [w if i == 0 else " " + w for i, w in enumerate(words)]
        )
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(tokens),
            "total_tokens": prompt_tokens + len(tokens),
        }
        cid = f"chatcmpl-{uuid.uuid4().hex[:20]}"
        created = int(time.time())
        if not body.get("stream"):
            self._sleep(float(sw.get("slow") or 0) * len(tokens))
            return self._json(
                200,
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "".join(tokens)},
                            "logprobs": None,
                            "finish_reason": finish,
                        }
                    ],
                    "usage": usage,
                },
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(delta, finish_reason=None):
            return {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": [
                    {
                        "index": 0,
                        "delta": delta,
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
            }

        delay = float(sw.get("slow") or self.server.default_delay)
        try:
            self._event(chunk({"role": "assistant", "content": ""}))
            for i, token in enumerate(tokens):
                if self.server.stopping.is_set():
                    return
                self._sleep(delay)
                if i == 3 and "drop" in sw:
                    # Cut the connection mid-body: no chunked terminator.
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if i == 3 and "stall" in sw:
                    self._sleep(self.server.hang_s)
                    self.close_connection = True
                    return
                self._event(chunk({"content": token}))
            self._event(chunk({}, finish))
            include_usage = (body.get("stream_options") or {}).get("include_usage")
            if include_usage and "nousage" not in sw:
                self._event(
                    {
                        "id": cid,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": [],
                        "usage": usage,
                    }
                )
            self._event("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            # The client went away (the voter stopped the answer): that's fine.
            self.close_connection = True

    def _error(self, status: int):
        kinds = {429: "rate_limit_exceeded", 401: "invalid_api_key"}
        headers = {"Retry-After": "0"} if status == 429 else {}
        self._json(
            status,
            {
                "error": {
                    "message": f"stub error {status}",
                    "type": kinds.get(status, "server_error"),
                    "code": kinds.get(status),
                }
            },
            headers,
        )


class StubServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host="127.0.0.1", port=0, *, api_key=None, default_delay=0.0):
        super().__init__((host, port), StubHandler)
        self.api_key = api_key
        self.default_delay = default_delay
        self.hang_s = 30.0
        self.flag_words = {"forbidden-topic"}
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self.requests: list[dict] = []
        self.in_flight = self.max_in_flight = 0
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def record(self, path, body, headers):
        with self._lock:
            self.requests.append({"path": path, "body": body, "headers": headers})

    def enter(self):
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self):
        with self._lock:
            self.in_flight -= 1

    def bump(self, key: str) -> int:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def chat_requests(self, model: str | None = None) -> list[dict]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r["path"].endswith("/chat/completions")
                and (model is None or r["body"].get("model") == model)
            ]

    def start(self) -> "StubServer":
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.shutdown()
        self.server_close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--delay", type=float, default=0.04, help="seconds between tokens")
    parser.add_argument("--api-key", default=None, help="require this bearer key")
    args = parser.parse_args()
    server = StubServer(args.host, args.port, api_key=args.api_key, default_delay=args.delay)
    print(f"OpenAI-compatible stub serving on {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
