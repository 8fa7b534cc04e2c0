"""Generates the bundled example files for the demo and the tests: a video from FFmpeg's test source, a small
PDF written by hand, PNG/JPEG images, and text. Writes into examples/files/ (not committed). Idempotent."""
import os
import subprocess
import sys
import zlib
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "files")


def write(name, data):
    path = os.path.join(OUT, name)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)


def png(width, height, pixel):
    """A PNG made with zlib only: pixel(x, y) -> (r, g, b)."""
    raw = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))
    chunk = lambda tag, body: struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def pdf(pages):
    """A minimal PDF with one text page per entry of `pages` (lists of lines), Helvetica 14 pt."""
    objects = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, lines in enumerate(pages):
        ops = ["BT /F1 14 Tf 72 720 Td 18 TL"] + [f"({l}) '" for l in lines] + ["ET"]
        stream = "\n".join(ops).encode()
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 3 0 R >> >> >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    write("gradient.png", png(320, 200, lambda x, y: (x * 255 // 319, y * 255 // 199, 128)))
    write("checker.png", png(64, 96, lambda x, y: (240, 240, 240) if (x // 8 + y // 8) % 2 else (30, 60, 200)))
    write("manual.pdf", pdf([
        ["lakefeed example manual", "", "Installation: run scripts/setup.sh once.", "Then ingest files into a table."],
        ["Querying", "", "Use SQL with $1 parameters.", "Search text with BM25 and vectors by cosine similarity."],
    ]))
    write("notes.md", "# Field notes\n\n" + "\n\n".join(
        f"Day {d}: the robot arm picked {d * 3} cubes and dropped {d % 4}. Lidar drift stayed under {d} cm. "
        "The gripper camera recorded every grasp so the episodes can be replayed and labelled later."
        for d in range(1, 25)) + "\n")
    write("readings.csv", "sensor,value\n" + "".join(f"s{i % 5},{i * 0.25}\n" for i in range(40)))
    write("calibration.bin", bytes(range(256)))
    video = os.path.join(OUT, "testsrc.mp4")
    if not os.path.exists(video):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=25:size=320x240:rate=25",
                        "-f", "lavfi", "-i", "sine=frequency=440:duration=25", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                        "-g", "50", "-c:a", "aac", "-shortest", video], check=True)
    jpeg = os.path.join(OUT, "frame.jpg")
    if not os.path.exists(jpeg):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=640x480:rate=1",
                        "-frames:v", "1", "-q:v", "3", jpeg], check=True)


if __name__ == "__main__":
    sys.exit(main())
