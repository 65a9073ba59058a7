#!/usr/bin/env python3
"""Renders a colour image set whose class is a glyph's shape and whose
colours are a nuisance, as PNG folders for examples/images.

Ten classes, the letters A to J, 32x32 RGB. Every image draws its own
background colour (plain or a gradient), glyph colour (luma at least
0.35 above or below the background's: dark-on-light and light-on-dark
alike), DejaVu face, size (60-90 % of the side), rotation (up to 15
degrees), offset and noise, so colour varies as much within a class as
between classes. Written into -out: labelled/<class>/ (-per-class images
per class), unlabelled/ (flat), test/<class>/ (balanced) and
unlabelled-labels.csv (the unlabelled images' classes, which
examples/images does not read). The same -seed gives the same images.
Needs Debian's python3-pil and python3-numpy; run it with /usr/bin/python3.

    /usr/bin/python3 scripts/colourset.py -out out-colour -seed 1 -preview out-colour.png
    go run ./examples/images -labelled out-colour/labelled -unlabelled out-colour/unlabelled -test out-colour/test
"""
import argparse
import colorsys
import os
import shutil
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CLASSES = "ABCDEFGHIJ"
SIDE = 32
SUPER = 4  # glyphs are drawn at SUPER times the side, then box-filtered down
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FACES = [
    "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique",
    "DejaVuSansCondensed", "DejaVuSansCondensed-Bold",
    "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerifCondensed-Bold",
    "DejaVuSansMono", "DejaVuSansMono-Bold",
]
MIN_CONTRAST = 0.35  # |luma(glyph) - luma(background)|, luma in [0, 1]
NOISE = 0.03  # standard deviation of the per-pixel noise, in [0, 1] units
PARTS = {"labelled": 0, "unlabelled": 1, "test": 2}


def glyph_masks():
    """Each class's glyph in each face, cropped to its ink, as float arrays."""
    masks = {}
    for face in FACES:
        font = ImageFont.truetype(os.path.join(FONT_DIR, face + ".ttf"), 200)
        for k, ch in enumerate(CLASSES):
            im = Image.new("L", (320, 320), 0)
            ImageDraw.Draw(im).text((60, 20), ch, fill=255, font=font)
            masks[k, face] = im.crop(im.getbbox())
    return masks


def luma(rgb):
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def random_colour(rng):
    return np.array(colorsys.hls_to_rgb(rng.random(), rng.uniform(0.05, 0.95), rng.uniform(0.0, 1.0)))


def render(k, rng, masks):
    """Image of class k drawn with rng, as a SIDE x SIDE x 3 uint8 array."""
    big = SIDE * SUPER
    g = masks[k, FACES[rng.integers(len(FACES))]]
    h = rng.uniform(0.6, 0.9) * big
    w = max(1, round(g.width * h / g.height))
    g = g.resize((w, round(h)), Image.BILINEAR).rotate(rng.uniform(-15, 15), Image.BILINEAR, expand=True)
    canvas = Image.new("L", (big, big), 0)
    dx = rng.uniform(-1, 1) * max(0.0, min(0.1 * big, (big - g.width) / 2))
    dy = rng.uniform(-1, 1) * max(0.0, min(0.1 * big, (big - g.height) / 2))
    canvas.paste(g, (round((big - g.width) / 2 + dx), round((big - g.height) / 2 + dy)))
    m = np.asarray(canvas.resize((SIDE, SIDE), Image.BOX), dtype=np.float64)[..., None] / 255.0

    fg = random_colour(rng)
    while True:
        bg = random_colour(rng)
        if abs(luma(fg) - luma(bg)) >= MIN_CONTRAST:
            break
    back = np.broadcast_to(bg, (SIDE, SIDE, 3))
    if rng.random() < 0.5:  # a linear gradient to a second colour on the same side of the glyph's luma
        while True:
            bg2 = random_colour(rng)
            d = luma(bg2) - luma(fg)
            if abs(d) >= MIN_CONTRAST and (d > 0) == (luma(bg) > luma(fg)):
                break
        a = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:SIDE, 0:SIDE] / (SIDE - 1) - 0.5
        t = np.clip((xx * np.cos(a) + yy * np.sin(a)) / 0.71 + 0.5, 0, 1)[..., None]
        back = (1 - t) * bg + t * bg2
    x = (1 - m) * back + m * fg + rng.normal(0, NOISE, (SIDE, SIDE, 3))
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def draw(part, classes, seed, masks):
    """The images of one part, each from its own stream (seed, part, index)."""
    return [render(k, np.random.default_rng([seed, PARTS[part], i]), masks) for i, k in enumerate(classes)]


def save(path, x):
    Image.fromarray(x, "RGB").save(path)


def preview(path, imgs, classes, per_row=10, scale=3, gap=2):
    """A grid with one row per class, the first per_row images of each."""
    rows = [[x for x, k in zip(imgs, classes) if k == c][:per_row] for c in range(len(CLASSES))]
    cell = SIDE * scale + gap
    grid = Image.new("RGB", (per_row * cell + gap, len(rows) * cell + gap), (255, 255, 255))
    for r, row in enumerate(rows):
        for c, x in enumerate(row):
            im = Image.fromarray(x, "RGB").resize((SIDE * scale, SIDE * scale), Image.NEAREST)
            grid.paste(im, (gap + c * cell, gap + r * cell))
    tmp = path + ".tmp.png"
    grid.save(tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-out", default="out-colour", help="directory to create for labelled/, unlabelled/, test/ and unlabelled-labels.csv")
    ap.add_argument("-seed", type=int, default=1, help="seed of the rendering (every image has its own stream)")
    ap.add_argument("-per-class", type=int, default=10, help="labelled images per class")
    ap.add_argument("-unlabelled", type=int, default=20000, help="unlabelled images (classes balanced, in random order)")
    ap.add_argument("-test", type=int, default=5000, help="test images, balanced over the classes (rounded down to a multiple of 10)")
    ap.add_argument("-preview", default="", help="also write a PNG grid of test images, one row per class")
    a = ap.parse_args()
    if a.per_class < 1 or a.unlabelled < 1 or a.test < 0:
        sys.exit("colourset: -per-class and -unlabelled must be positive, -test not negative")
    out = os.path.normpath(a.out)
    if os.path.exists(out):
        sys.exit(f"colourset: {out} exists: remove it or choose another -out")

    n = len(CLASSES)
    masks = glyph_masks()
    lab_y = np.repeat(np.arange(n), a.per_class)
    unl_y = np.random.default_rng([a.seed, PARTS["unlabelled"]]).permutation(np.arange(a.unlabelled) % n)
    test_y = np.repeat(np.arange(n), a.test // n)
    lab, unl, test = (draw(p, y, a.seed, masks) for p, y in (("labelled", lab_y), ("unlabelled", unl_y), ("test", test_y)))

    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for part, imgs, ys in (("labelled", lab, lab_y), ("test", test, test_y)):
        count = [0] * n
        for ch in CLASSES:
            os.makedirs(os.path.join(tmp, part, ch))
        for x, k in zip(imgs, ys):
            save(os.path.join(tmp, part, CLASSES[k], f"{count[k]:05d}.png"), x)
            count[k] += 1
    os.makedirs(os.path.join(tmp, "unlabelled"))
    with open(os.path.join(tmp, "unlabelled-labels.csv"), "w") as f:
        f.write("file,label\n")
        for i, (x, k) in enumerate(zip(unl, unl_y)):
            save(os.path.join(tmp, "unlabelled", f"{i:05d}.png"), x)
            f.write(f"{i:05d}.png,{CLASSES[k]}\n")
    os.rename(tmp, out)
    if a.preview:
        preview(a.preview, test or lab, test_y if test else lab_y)
    print(f"colour glyphs (seed {a.seed}): {len(lab)} labelled, {len(unl)} unlabelled, {len(test)} test, "
          f"{n} classes {CLASSES[0]}-{CLASSES[-1]}, {SIDE}x{SIDE} RGB -> {out}/"
          + (f", preview {a.preview}" if a.preview else ""))


if __name__ == "__main__":
    main()
