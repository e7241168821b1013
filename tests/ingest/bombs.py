"""Hostile PDFs built byte by byte for the tests: each is small on disk and built to exhaust a
parser (memory, time or recursion)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF of numbered objects (1 0 obj … endobj, the catalogue first) with its xref table."""
    body = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(body)
    table = [f"xref\n0 {len(objects) + 1}\n", "0000000000 65535 f \n"]
    table += [f"{offset:010d} 00000 n \n" for offset in offsets]
    trailer = f"trailer\n<< /Root 1 0 R /Size {len(objects) + 1} >>\nstartxref\n{xref}\n%%EOF\n"
    return body + "".join(table).encode() + trailer.encode()


def _page(contents: int, parent: int = 2) -> bytes:
    return (
        f"<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 612 792] /Contents {contents} 0 R "
        "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"
    ).encode()


def _stream(data: bytes, flate: bool = False) -> bytes:
    head = f"<< /Length {len(data)}" + (" /Filter /FlateDecode" if flate else "") + " >>\n"
    return head.encode() + b"stream\n" + data + b"\nendstream"


def deflate_bomb(megabytes: int = 4096) -> bytes:
    """One page whose content stream inflates to `megabytes` of spaces (about 4 MB on disk)."""
    compressor = zlib.compressobj(9)
    block = b" " * (16 * 1024 * 1024)
    parts = [compressor.compress(b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET\n")]
    parts += [compressor.compress(block) for _ in range(megabytes // 16)]
    parts.append(compressor.flush())
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            _page(4),
            _stream(b"".join(parts), flate=True),
        ]
    )


def page_tree_loop() -> bytes:
    """A page tree whose node lists itself among its kids."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            _page(4),
            _stream(b"BT /F1 12 Tf 72 720 Td (loop) Tj ET"),
        ]
    )


def laughs(levels: int = 30) -> bytes:
    """A "billion laughs" chain: each array holds the next one ten times (10**levels leaves),
    hung from the page's resources and annotations."""
    first = 5
    chain = [
        ("[" + " ".join([f"{first + i + 1} 0 R"] * 10) + "]").encode() for i in range(levels)
    ] + [b"(lol)"]
    page = (
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        f"/Annots {first} 0 R /Resources << /Properties << /L {first} 0 R >> >> >>"
    ).encode()
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            _stream(b"BT /F1 12 Tf 72 720 Td (laughs) Tj ET"),
            *chain,
        ]
    )


def many_pages(pages: int = 50_000) -> bytes:
    """A page tree of `pages` pages sharing one tiny content stream."""
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        _stream(b"BT /F1 12 Tf 72 720 Td (p) Tj ET"),
    ]
    objects += [_page(3) for _ in range(pages)]
    return _pdf(objects)


def huge_image_page() -> bytes:
    """One page painted by a 20000 × 20000 grey image (400 MB decoded, 0.4 MB on disk)."""
    width = height = 20_000
    compressor = zlib.compressobj(9)
    row = b"\x80" * width
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    image = (
        (
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace "
            f"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length {len(data)} >>\n"
        ).encode()
        + b"stream\n"
        + data
        + b"\nendstream"
    )
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>"
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            _stream(b"q 612 0 0 792 0 0 cm /Im1 Do Q"),
            image,
        ]
    )


BOMBS: dict[str, Callable[[], bytes]] = {
    "deflate-bomb.pdf": deflate_bomb,
    "page-tree-loop.pdf": page_tree_loop,
    "billion-laughs.pdf": laughs,
    "fifty-thousand-pages.pdf": many_pages,
    "huge-image.pdf": huge_image_page,
}


def text_page(visible: list[str], hidden: list[str]) -> bytes:
    """A one-page PDF (not a bomb): `visible` lines in black, then `hidden` lines in white on
    the white page, which a reader of the page never sees and a text extractor reads."""

    def lines(texts: list[str], top: int) -> str:
        return "".join(
            f"BT /F1 11 Tf 72 {top - 16 * i} Td ({t}) Tj ET\n" for i, t in enumerate(texts)
        )

    content = "0 0 0 rg\n" + lines(visible, 720) + "1 1 1 rg\n" + lines(hidden, 400)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            _page(4),
            _stream(content.encode("latin-1")),
        ]
    )


def write_all(folder: Path) -> list[Path]:
    """Every bomb written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, build in BOMBS.items():
        path = folder / name
        path.write_bytes(build())
        paths.append(path)
    return paths
