#!/usr/bin/python3
"""Is a screenshot more than a blank page? Decodes the PNG with zlib alone
(no PIL) and prints "WIDTHxHEIGHT colours=N ink=F rgb(r,g,b)=K" for each
colour asked for; exits 1 when the page looks blank.

usage: pngcheck.py <png> [--min-colours N] [--min-ink F] [--expect RRGGBB:MINPIXELS ...]
  ink      the share of pixels that are not (near) white
  expect   pixels within 24 per channel of RRGGBB, at least MINPIXELS of them
"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit(f'{path}: not a PNG')
    pos, idat, width = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            width, height, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                sys.exit(f'{path}: unsupported PNG (depth {depth}, colour type {ctype})')
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat.append(body)
        elif kind == b'IEND':
            break
    if width is None:
        sys.exit(f'{path}: no IHDR')
    raw = zlib.decompress(b''.join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        elif f != 0:
            sys.exit(f'{path}: bad filter {f} on row {y}')
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def main():
    args = sys.argv[1:]
    path, min_colours, min_ink, expects = args[0], 8, 0.02, []
    i = 1
    while i < len(args):
        if args[i] == '--min-colours':
            min_colours = int(args[i + 1])
        elif args[i] == '--min-ink':
            min_ink = float(args[i + 1])
        elif args[i] == '--expect':
            rgb, n = args[i + 1].split(':')
            expects.append((tuple(int(rgb[k:k + 2], 16) for k in (0, 2, 4)), int(n)))
        else:
            sys.exit(f'unknown argument {args[i]}')
        i += 2
    width, height, bpp, rows = decode(path)
    colours, ink, near = set(), 0, [0] * len(expects)
    for row in rows:
        for x in range(0, len(row), bpp):
            px = row[x:x + 3]
            colours.add(px)
            if px[0] < 240 or px[1] < 240 or px[2] < 240:
                ink += 1
            for k, (want, _) in enumerate(expects):
                if all(abs(px[c] - want[c]) <= 24 for c in range(3)):
                    near[k] += 1
    share = ink / (width * height)
    line = f'{width}x{height} colours={len(colours)} ink={share:.3f}'
    for k, (want, _) in enumerate(expects):
        line += ' rgb(%d,%d,%d)=%d' % (want + (near[k],))
    print(line)
    ok = len(colours) >= min_colours and share >= min_ink
    ok = ok and all(near[k] >= n for k, (_, n) in enumerate(expects))
    sys.exit(0 if ok else 1)


main()
