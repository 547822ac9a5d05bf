"""The ceiling: a bare FastAPI endpoint served exactly as the api-gateway is (uvicorn, same host),
answering a POST with a small JSON 201 and doing nothing else."""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


@app.post("/v2/notifications/sms")
async def post(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"id": "00000000-0000-0000-0000-000000000000"}, status_code=201)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["BARE_PORT"]), log_config=None, access_log=False)
