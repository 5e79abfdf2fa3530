"""Request and response bodies; their field descriptions are what /docs and /openapi.json show.

Defaults are the command line's (seqkit.decoding.defaults), so a request with only its text gets what
`seqkit translate`, `seqkit sample` and `seqkit classify` print for it. Unknown fields are refused, so a
misspelt option is an error rather than silently ignored.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from seqkit.decoding import defaults
from seqkit.serve.limits import Limits

MAX_BEAM = 64  # a wider beam costs more than any request should

MODEL = Field(None, description="name of the loaded run to use (its directory name); default: the first "
              "loaded run of this kind")


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TranslateRequest(Request):
    sentences: list[str] = Field(description="source sentences, one translation each ('' gives '')",
                                 examples=[["uno dos gato"]])
    beam: int = Field(defaults.BEAM, ge=1, le=MAX_BEAM, description="beam width (1: greedy search)")
    alpha: float = Field(defaults.ALPHA, ge=0, description="GNMT length penalty exponent (0: none)")
    model: str | None = MODEL


class TranslateResponse(BaseModel):
    translations: list[str] = Field(description="one per sentence, in order")
    model: str = Field(description="the run that translated")


class SampleRequest(Request):
    prime: str = Field(description="text to start from, returned first ('': start at a newline)",
                       examples=["ROMEO:"])
    length: int = Field(ge=0, description="characters to generate after the prime", examples=[200])
    temperature: float = Field(defaults.TEMPERATURE, ge=0, description="softmax temperature; 0: argmax")
    top_k: int = Field(defaults.TOP_K, ge=0, description="sample among the k most likely characters (0: all)")
    top_p: float = Field(defaults.TOP_P, gt=0, le=1, description="nucleus sampling mass (1: off)")
    seed: int = Field(0, description="same seed, same samples (as `seqkit sample --seed`)")
    num_samples: int = Field(1, ge=1, description="independent samples of the same prime")
    model: str | None = MODEL


class SampleResponse(BaseModel):
    samples: list[str] = Field(description="the prime followed by the generated characters, per sample")
    model: str = Field(description="the run that generated")


class ClassifyRequest(Request):
    texts: list[str] = Field(description="texts to label (none may be empty)",
                             examples=[["a great movie"]])
    model: str | None = MODEL


class ClassifyResponse(BaseModel):
    labels: list[str] = Field(description="the most probable class of each text")
    probabilities: list[dict[str, float]] = Field(description="{class: probability} of each text")
    model: str = Field(description="the run that classified")


class WMDRequest(Request):
    pairs: list[tuple[str, str]] = Field(description="sentence pairs [a, b]",
                                         examples=[[["the cat sat", "a dog sat"]]])


class WMDResponse(BaseModel):
    distances: list[float | None] = Field(description="Word Mover's Distance of each pair (gensim's "
                                          "wmdistance); null when a side has no word in the vocabulary")
    model: str = Field(description="the word vectors used")


class ServedModel(BaseModel):
    name: str = Field(description="what the `model` field of a request names")
    kind: str = Field(description="nmt, char-rnn, classifier (a CNN or linear run) or wmd")
    endpoint: str = Field(description="the endpoint that uses it")
    batch_size: int = Field(description="most items answered by one model call")
    calls: int = Field(description="model calls so far (fewer than requests when batching merged them)")
    requests: int = Field(description="requests answered")
    items: int = Field(description="sentences, texts, pairs or samples answered")
    largest_batch: int = Field(description="most items one call has answered")
    queued: int = Field(description="requests waiting now")


class Health(BaseModel):
    status: str = Field(description="ok")
    models: list[ServedModel]
    limits: Limits = Field(description="the server's bounds: the `seqkit serve` flags of the same names")


class Error(BaseModel):
    error: str = Field(description="what was wrong with the request, in one line")
