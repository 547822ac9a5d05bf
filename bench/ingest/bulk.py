"""Times POST /v2/notifications/bulk: each request's rows are checked as a CSV upload is (every row
rendered and its recipient validated, all or nothing), the file stored in S3 and the job's events
acknowledged by Kafka before the 201. Prints notifications accepted per second; the job-splitter then
sends the rows through the bulk lane (bench/bulk measures that part)."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import httpx


def main() -> int:
    url, bench_dir, repeats = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    bulk = (bench_dir / "bulk.json").read_bytes()
    tokens = re.findall(r'\{(\d+), "([^"]+)"\}', (bench_dir / "tokens.lua").read_text())
    rows = 0
    elapsed = 0.0
    for _ in range(repeats):
        now = int(time.time())
        token = next(tok for iat, tok in reversed(tokens) if int(iat) <= now)
        started = time.perf_counter()
        response = httpx.post(
            f"{url}/v2/notifications/bulk",
            content=bulk,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=300,
        )
        elapsed += time.perf_counter() - started
        if response.status_code != 201:
            print(f"bulk refused: {response.status_code} {response.text[:200]}")
            return 1
        rows += response.json()["data"]["notification_count"]
    print(f"RESULT bulk_notifications={rows} seconds={elapsed:.1f} rate={rows / elapsed:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
