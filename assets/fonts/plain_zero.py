"""Makes the kiosk's font: Atkinson Hyperlegible with a plain zero and three signs.

Atkinson Hyperlegible draws zero with a slash through it. Seniors read "10:15" and
"059 12 34 56" on the tablet; a slashed zero looks like the letter Ø or a symbol to
people who never used a computer. This keeps every other glyph and replaces the zero's
two half-counters (cut by the slash) with one oval counter. It adds the three signs the
screens use that the font lacks (a tablet may have no other font to borrow them from):
a check mark for a chosen answer (U+2713), the erase key's arrow (U+232B) and the
typing caret (U+258F), drawn here with straight strokes of the font's own weight. Then
it names the family "Nabij Hyperlegible" (a modified font under the SIL Open Font
License gets its own name).

Run from the repository root: python3 assets/fonts/plain_zero.py (needs fonttools).
"""

from fontTools.ttLib import TTFont
from fontTools.pens.ttGlyphPen import TTGlyphPen

FAMILY = "Nabij Hyperlegible"


def contours(glyph, glyf):
    coords, ends, flags = glyph.getCoordinates(glyf)
    start = 0
    for end in ends:
        yield [(coords[i], flags[i] & 1) for i in range(start, end + 1)]
        start = end + 1


def draw(pen, points):
    """Draws a TrueType contour (on/off-curve points) with a pen."""
    # Start at an on-curve point.
    first = next(i for i, (_, on) in enumerate(points) if on)
    points = points[first:] + points[:first]
    pen.moveTo(points[0][0])
    off = []
    for (x, y), on in points[1:] + points[:1]:
        if on:
            if off:
                pen.qCurveTo(*off, (x, y))
                off = []
            else:
                pen.lineTo((x, y))
        else:
            off.append((x, y))
    if off:
        pen.qCurveTo(*off, points[0][0])
    pen.closePath()


def plain_zero(font):
    glyf = font["glyf"]
    outer, *inner = list(contours(glyf["zero"], glyf))
    xs = [p[0][0] for p in outer]
    ys = [p[0][1] for p in outer]
    left, right, bottom, top = min(xs), max(xs), min(ys), max(ys)
    # The stroke as the slashed zero has it: from the outer edge to the half-counters.
    inner_xs = [p[0][0] for c in inner for p in c]
    inner_ys = [p[0][1] for c in inner for p in c]
    side = min(inner_xs) - left
    cap = top - max(inner_ys)
    cx, cy = (left + right) / 2, (bottom + top) / 2
    sx = ((right - left) - 2 * side) / (right - left)
    sy = ((top - bottom) - 2 * cap) / (top - bottom)
    # The counter: the outer oval made smaller about its centre, drawn the other way round.
    counter = [
        ((round(cx + (x - cx) * sx), round(cy + (y - cy) * sy)), on)
        for (x, y), on in reversed(outer)
    ]
    pen = TTGlyphPen(font.getGlyphSet())
    draw(pen, outer)
    draw(pen, counter)
    glyf["zero"] = pen.glyph()


def polygon(pen, points, clockwise=True):
    """A closed polygon; TrueType fills clockwise contours and cuts out anticlockwise ones."""
    area = sum(
        x0 * y1 - x1 * y0
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1])
    )
    if (area < 0) != clockwise:
        points = points[::-1]
    pen.moveTo(points[0])
    for p in points[1:]:
        pen.lineTo(p)
    pen.closePath()


def stroke(a, b, width):
    """A straight stroke from a to b, `width` wide, as a four-point polygon."""
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    length = (dx * dx + dy * dy) ** 0.5
    nx, ny = -dy / length * width / 2, dx / length * width / 2
    return [
        (round(ax + nx), round(ay + ny)),
        (round(bx + nx), round(by + ny)),
        (round(bx - nx), round(by - ny)),
        (round(ax - nx), round(ay - ny)),
    ]


def add_glyph(font, name, codepoint, advance, draw_it):
    pen = TTGlyphPen(font.getGlyphSet())
    draw_it(pen)
    font["glyf"][name] = pen.glyph()
    font["hmtx"][name] = (advance, 0)
    order = font.getGlyphOrder()
    if name not in order:
        font.setGlyphOrder(order + [name])
    for table in font["cmap"].tables:
        if table.isUnicode():
            table.cmap[codepoint] = name


def add_signs(font, style):
    # The stem of the font's "l" gives the weight of every stroke.
    l = font["glyf"]["l"]
    weight = l.xMax - l.xMin
    cap = font["OS/2"].sCapHeight

    def check(pen):
        # Two strokes: down to the corner, then up to the right; the first overlaps the
        # second so that the corner is solid.
        pen_points = [(80, 330), (260, 120), (680, 640)]
        polygon(pen, stroke(pen_points[0], (pen_points[1][0] + weight // 3, pen_points[1][1] - weight // 3), weight))
        polygon(pen, stroke((pen_points[1][0] - weight // 3, pen_points[1][1] - weight // 3), pen_points[2], weight))

    def erase(pen):
        # A box with a point on the left (the letter before is erased) and an x in it.
        top, bottom, left, right, tip = cap - 40, 40, 220, 880, 20
        mid = (top + bottom) // 2
        outer = [(tip, mid), (left, top), (right, top), (right, bottom), (left, bottom)]
        inset = min(weight * 0.6, 60)
        inner = [
            (round(tip + inset * 1.6), mid),
            (round(left + inset * 0.5), round(bottom + inset)),
            (round(right - inset), round(bottom + inset)),
            (round(right - inset), round(top - inset)),
            (round(left + inset * 0.5), round(top - inset)),
        ]
        polygon(pen, outer)
        polygon(pen, inner, clockwise=False)  # the inside of the box
        cx, cy, r = (left + right) // 2 + 50, mid, (top - bottom) // 5
        polygon(pen, stroke((cx - r, cy - r), (cx + r, cy + r), min(weight * 0.6, 60)))
        polygon(pen, stroke((cx - r, cy + r), (cx + r, cy - r), min(weight * 0.6, 60)))

    def caret(pen):
        polygon(pen, [(60, -120), (60, cap + 120), (60 + weight, cap + 120), (60 + weight, -120)][::-1])

    add_glyph(font, "checkmark", 0x2713, 760, check)
    add_glyph(font, "erasetotheleft", 0x232B, 940, erase)
    add_glyph(font, "leftoneeighthblock", 0x258F, 60 + weight + 60, caret)


def rename(font, style):
    names = font["name"]
    full = f"{FAMILY} {style}" if style != "Regular" else FAMILY
    postscript = f"{FAMILY.replace(' ', '')}-{style}"
    for record in names.names:
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID == 4:
            record.string = full
        elif record.nameID == 6:
            record.string = postscript
        elif record.nameID == 3:
            record.string = f"{postscript};plain zero"


for style in ("Regular", "Bold"):
    font = TTFont(f"assets/fonts/AtkinsonHyperlegible-{style}.ttf")
    plain_zero(font)
    add_signs(font, style)
    rename(font, style)
    font.save(f"assets/fonts/NabijHyperlegible-{style}.ttf")
