"""The FastAPI application: one POST endpoint per kind of the loaded runs, /health, /docs and the page.

Every error is JSON `{"error": "one line"}`: 400 malformed JSON, 404 an unknown endpoint or model, 413 a
request over the limits, 415 a body that is not JSON, 422 a value the model cannot take, 503 a full queue,
504 a timeout. Anything
unexpected is a 500 with a one-line message; its traceback goes to the server's log, never to a client.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Sequence
from contextlib import asynccontextmanager
from http import HTTPStatus
from importlib import resources

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from seqkit import __version__
from seqkit.decoding.options import DecodeOptions
from seqkit.errors import SeqkitError
from seqkit.serve.batcher import Batcher, QueueFull, Timeout
from seqkit.serve.limits import Limits
from seqkit.serve.models import CLASSIFIER_KIND, ENDPOINTS, WMD_KIND, Served
from seqkit.serve.schemas import (
    ClassifyRequest,
    ClassifyResponse,
    Error,
    Health,
    SampleRequest,
    SampleResponse,
    ServedModel,
    TranslateRequest,
    TranslateResponse,
    WMDRequest,
    WMDResponse,
)

LOG = logging.getLogger("uvicorn.error")  # the server's log
ERRORS = {code: {"model": Error, "description": text} for code, text in (  # for /docs
    (400, "malformed JSON"), (404, "no loaded model of that name"),
    (413, "over --max-sentences or --max-chars"), (415, "a body not sent as application/json"),
    (422, "a field of the wrong type or out of range, or a text the model cannot read"),
    (503, "too many requests waiting"), (504, "not answered within --timeout"))}


class Service:
    """The loaded models with their batchers, and the limits requests are checked against."""

    def __init__(self, models: Sequence[Served], limits: Limits):
        self.models, self.limits = list(models), limits
        self.batchers = {m.name: Batcher(m.run_batch, m.batch_size, limits.batch_wait_ms / 1000,
                                         limits.max_queue, limits.timeout) for m in models}

    def pick(self, kind: str, name: str | None) -> Served:
        """The model `name` of `kind`, or the first one of `kind`; 404 when there is none."""
        of_kind = [m for m in self.models if m.kind == kind]
        found = next((m for m in of_kind if name in (None, m.name)), None)
        if found is None:
            raise HTTPException(404, f"no {kind} model named {name!r}; loaded: "
                                f"{', '.join(m.name for m in of_kind)}")
        return found

    def check_size(self, count: int, chars: int) -> None:
        """413 for a request over the limits, before it takes any model time."""
        if count > self.limits.max_sentences:
            raise HTTPException(413, f"{count} items in one request; at most {self.limits.max_sentences} "
                                "(--max-sentences)")
        if chars > self.limits.max_chars:
            raise HTTPException(413, f"{chars} characters in one request; at most {self.limits.max_chars} "
                                "(--max-chars)")

    async def run(self, kind: str, name: str | None, key: Hashable, items: list,
                  count: int, chars: int) -> tuple[str, list]:
        """(model name, one result per item) of a request checked against the limits and batched."""
        model = self.pick(kind, name)
        self.check_size(count, chars)
        return model.name, await self.batchers[model.name].submit(key, items)


def service(request: Request) -> Service:
    return request.app.state.service


async def translate(body: TranslateRequest, request: Request) -> TranslateResponse:
    """Translate sentences with an NMT run (beam search, as `seqkit translate`)."""
    options = DecodeOptions(beam=body.beam, alpha=body.alpha)
    options.strategy()  # a bad combination is refused before it queues
    name, out = await service(request).run("nmt", body.model, options, body.sentences, len(body.sentences),
                                           sum(map(len, body.sentences)))
    return TranslateResponse(translations=out, model=name)


async def sample(body: SampleRequest, request: Request) -> SampleResponse:
    """Generate text from a character LM run (as `seqkit sample`; same seed, same samples)."""
    from seqkit.inference.sampler import sampling_options

    options = sampling_options(body.temperature, body.top_k, body.top_p, beam=1, seed=body.seed)  # checked
    job = (body.prime, body.length, body.num_samples)
    name, out = await service(request).run("char-rnn", body.model, options, [job], body.num_samples,
                                           len(body.prime) + body.length * body.num_samples)
    return SampleResponse(samples=out[0], model=name)


async def classify(body: ClassifyRequest, request: Request) -> ClassifyResponse:
    """Label texts with a classifier run (as `seqkit classify --json`)."""
    name, out = await service(request).run(CLASSIFIER_KIND, body.model, None, body.texts, len(body.texts),
                                           sum(map(len, body.texts)))
    return ClassifyResponse(labels=[r["label"] for r in out], probabilities=[r["probs"] for r in out],
                            model=name)


async def wmd(body: WMDRequest, request: Request) -> WMDResponse:
    """Word Mover's Distance of sentence pairs with the --vectors word vectors (as `seqkit wmd`)."""
    name, out = await service(request).run(WMD_KIND, None, None, body.pairs, len(body.pairs),
                                           sum(len(a) + len(b) for a, b in body.pairs))
    return WMDResponse(distances=[None if math.isinf(d) else d for d in out], model=name)


ROUTES = {"nmt": (translate, TranslateResponse), "char-rnn": (sample, SampleResponse),
          CLASSIFIER_KIND: (classify, ClassifyResponse), WMD_KIND: (wmd, WMDResponse)}


async def health(request: Request) -> Health:
    """The loaded models, their batching counters, and the limits."""
    svc = service(request)
    models = [ServedModel(name=m.name, kind=m.kind, endpoint=m.endpoint, batch_size=m.batch_size,
                          **svc.batchers[m.name].stats()) for m in svc.models]
    return Health(status="ok", models=models, limits=svc.limits)


PAGE = resources.files("seqkit.serve").joinpath("page.html")


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status, headers)


def field_errors(request: Request, exc: RequestValidationError) -> JSONResponse:
    """415 for a body not sent as JSON (curl -d without -H), 400 for JSON that does not parse, else 422
    naming each bad field (`sentences.0: ...`)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return error(415, f"send the body as JSON, with the header Content-Type: application/json (not "
                     f"{media or 'none'})")
    errors = exc.errors()
    for e in errors:
        if e["type"] == "json_invalid":
            return error(400, f"malformed JSON: {e.get('ctx', {}).get('error', e['msg'])}")
    where = [".".join(str(p) for p in e["loc"][1:]) or "body" for e in errors]
    return error(422, "; ".join(f"{w}: {e['msg']}" for w, e in zip(where, errors)))


STATUS = {SeqkitError: 422, QueueFull: 503, Timeout: 504}  # errors raised below the HTTP layer


def add_error_handlers(app: FastAPI) -> None:
    """Every error as JSON {"error": message}."""
    paths = sorted({route.path for route in app.routes if getattr(route, "include_in_schema", False)})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404 and exc.detail == HTTPStatus.NOT_FOUND.phrase:  # the router's own 404
            return error(404, f"no endpoint {request.url.path}; this server has {', '.join(paths)}")
        return error(exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return field_errors(request, exc)

    async def known(request: Request, exc: Exception) -> JSONResponse:
        status = next(code for cls, code in STATUS.items() if isinstance(exc, cls))
        return error(status, str(exc), {"Retry-After": "1"} if status == 503 else None)

    for cls in STATUS:
        app.add_exception_handler(cls, known)


class Unexpected:
    """ASGI middleware answering any other exception with a JSON 500 and logging its traceback here, so
    that it never reaches the server (which would log it too, but drop the connection)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        started = False

        async def tracked(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started or scope["type"] != "http":
                raise
            LOG.exception("%s %s failed", scope["method"], scope["path"])
            await error(500, f"internal error ({type(exc).__name__}); the server log has the details")(
                scope, receive, send)


class BodyLimit:
    """ASGI middleware refusing a body over `max_bytes` with a 413 before reading it all, so that a huge
    upload costs neither memory nor parsing time."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_large = f"the request body is over {self.max_bytes} bytes (see --max-chars)"
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            return await error(413, too_large)(scope, receive, send)
        received = 0

        async def counted():  # a chunked body has no Content-Length: count it as it comes
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, too_large)
            return message

        await self.app(scope, counted, send)


def build_app(models: Sequence[Served], limits: Limits | None = None) -> FastAPI:
    """The application serving `models` (loaded by seqkit.serve.models.load_models) within `limits`."""
    svc = Service(models, limits or Limits())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        for batcher in svc.batchers.values():
            batcher.start()
        yield
        for batcher in svc.batchers.values():
            await batcher.stop()

    app = FastAPI(title="seqkit serve", version=__version__, lifespan=lifespan,
                  description="Trained seqkit runs over HTTP. Requests from concurrent clients share model "
                  "calls; every error is JSON `{\"error\": message}`.")
    app.state.service = svc
    for kind in dict.fromkeys(m.kind for m in models):
        handler, response = ROUTES[kind]
        app.add_api_route(ENDPOINTS[kind], handler, methods=["POST"], response_model=response,
                          responses=ERRORS)
    app.add_api_route("/health", health, methods=["GET"], response_model=Health)
    html = PAGE.read_text(encoding="utf-8")

    async def page() -> HTMLResponse:
        return HTMLResponse(html)

    app.add_api_route("/", page, methods=["GET"], include_in_schema=False)
    add_error_handlers(app)
    app.add_middleware(Unexpected)
    app.add_middleware(BodyLimit, max_bytes=8 * svc.limits.max_chars + 65536)  # UTF-8 and JSON escapes
    return app
