"""Query latency of the seed's own client (deeplake==4.5.5, deeplake.managed.Client) against a running server:
CLIENTS threads, each with its own client, each running SQL N times. Prints JSON {p50_ms, p99_ms, qps}."""
import json
import sys
import threading
import time

from deeplake.managed import Client

url, token, ws, sql, param, clients, n = sys.argv[1:8]
clients, n = int(clients), int(n)
lat = []
lock = threading.Lock()


def work():
    c = Client(token=token, workspace_id=ws, api_url=url)
    mine = []
    for _ in range(n):
        t = time.perf_counter()
        c.query(sql, (param,))
        mine.append(time.perf_counter() - t)
    with lock:
        lat.extend(mine)


start = time.perf_counter()
threads = [threading.Thread(target=work) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.perf_counter() - start
lat.sort()
print(json.dumps({
    "p50_ms": lat[len(lat) // 2] * 1000,
    "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
    "qps": len(lat) / wall,
}))
