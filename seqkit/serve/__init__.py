"""`seqkit serve`: trained runs behind an HTTP JSON service, with requests batched across clients.

models.py loads the runs once, batcher.py fills each model's batches from concurrent requests, app.py is
the FastAPI application (endpoints, limits, JSON errors) and page.html the page at `/`.
"""
