"""The seed SDK's character chunker, written from its documented behaviour (size 1000, overlap 200), timed.
usage: text.py FILE. Prints {"secs": median of 5, "chunks": n}."""
import json, statistics, sys, time


def chunk(text, size=1000, overlap=200):
    if len(text) <= size:
        return [text] if text.strip() else []
    out, start = [], 0
    while start < len(text):
        end = start + size
        if end >= len(text):
            piece = text[start:].strip()
            if piece:
                out.append(piece)
            break
        brk = end
        lo = max(start + size - 100, start)
        for sep in (". ", "? ", "! ", "\n\n", "\n"):
            pos = text.rfind(sep, lo, end + 50)
            if pos > start:
                brk = pos + len(sep)
                break
        piece = text[start:brk].strip()
        if piece:
            out.append(piece)
        nxt = brk - overlap
        start = nxt if nxt > start else brk
    return out


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    times, n = [], 0
    for _ in range(5):
        s = time.perf_counter()
        n = len(chunk(text))
        times.append(time.perf_counter() - s)
    print(json.dumps({"secs": statistics.median(times), "chunks": n}))


if __name__ == "__main__":
    main()
