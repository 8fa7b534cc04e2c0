"""pypdfium2 baseline for benches/pdf.rs. usage: pdf.py DPI PDF... Prints {"secs": median of 5, "pages": n}."""
import io, json, statistics, sys, time

import pypdfium2 as pdfium


def run(dpi, paths):
    pages = 0
    for p in paths:
        doc = pdfium.PdfDocument(p)
        for page in doc:
            img = page.render(scale=dpi / 72).to_pil()
            page.get_textpage().get_text_range()
            img.save(io.BytesIO(), "PNG")
            pages += 1
        doc.close()
    return pages


def main():
    dpi, paths = float(sys.argv[1]), sys.argv[2:]
    times, pages = [], 0
    for _ in range(5):
        s = time.perf_counter()
        pages = run(dpi, paths)
        times.append(time.perf_counter() - s)
    print(json.dumps({"secs": statistics.median(times), "pages": pages}))


if __name__ == "__main__":
    main()
