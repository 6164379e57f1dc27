"""Letters A-J drawn in every font Debian installed (a notMNIST-like set, Bulatov 2011): the studio's
second real image set, for checking that a recipe is not tuned to Fashion-MNIST.

    apt-get install -y python3-pil fonts-noto-core fonts-noto-extra fonts-dejavu-extra fonts-urw-base35 \\
        fonts-liberation2 fonts-texgyre fonts-freefont-ttf fonts-linuxlibertine fonts-inter fonts-lato ...
    /usr/bin/python3 scripts/fonts-dataset.py /tmp/letters 3000        # letters.json/.u8/.labels.u8 + png/<A..J>/

Each font gives one image per letter, 28x28 grayscale: the glyph scaled so that its larger side is
22 px, centred on its bounding box (as notMNIST). Fonts that miss a letter or draw a placeholder are
left out, and so are fonts whose ten drawings repeat another font's exactly (Noto's script families
share one Latin design). Fonts are taken in a seeded order until `count` images; each font's ten
letters stay together, so the studio's stratified split shuffles fonts within each class only.
"""
import hashlib, json, os, random, sys
import numpy as np
from PIL import Image, ImageDraw, ImageFont

out = sys.argv[1] if len(sys.argv) > 1 else '/tmp/letters'
count = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
LETTERS = 'ABCDEFGHIJ'
SIDE, BOX = 28, 22

def render(font, ch):
    img = Image.new('L', (96, 96), 0)
    ImageDraw.Draw(img).text((16, 8), ch, fill=255, font=font)
    box = img.getbbox()
    if box is None: return None
    g = img.crop(box)
    s = BOX / max(g.size)
    g = g.resize((max(1, round(g.width * s)), max(1, round(g.height * s))), Image.LANCZOS)
    canvas = Image.new('L', (SIDE, SIDE), 0)
    canvas.paste(g, ((SIDE - g.width) // 2, (SIDE - g.height) // 2))
    return np.asarray(canvas)

paths = sorted(os.path.join(d, f) for d, _, fs in os.walk('/usr/share/fonts') for f in fs if f.lower().endswith(('.ttf', '.otf')))
random.Random(0).shuffle(paths)
seen, images, labels, names = set(), [], [], []
for p in paths:
    try:
        font = ImageFont.truetype(p, 64)
        if any(font.getmask(ch).getbbox() is None for ch in LETTERS): continue
        glyphs = [render(font, ch) for ch in LETTERS]
    except Exception:
        continue
    if any(g is None for g in glyphs): continue
    # Placeholder boxes (.notdef) look alike for every letter: refuse fonts with two equal letters.
    if len({g.tobytes() for g in glyphs}) < len(LETTERS): continue
    key = hashlib.sha1(b''.join(g.tobytes() for g in glyphs)).hexdigest()
    if key in seen: continue
    seen.add(key)
    for k, g in enumerate(glyphs):
        images.append(g); labels.append(k); names.append(os.path.basename(p))
    if len(images) >= count: break

os.makedirs(out, exist_ok=True)
np.stack(images).astype(np.uint8).tofile(os.path.join(out, 'letters.u8'))
np.array(labels, np.uint8).tofile(os.path.join(out, 'letters.labels.u8'))
json.dump(dict(name=f'Letters A-J in {len(seen)} fonts ({len(images)} images)', source="Debian's font packages under /usr/share/fonts (scripts/fonts-dataset.py)",
               count=len(images), height=SIDE, width=SIDE, channels=1, classes=list(LETTERS), pixels='letters.u8', labels='letters.labels.u8'),
          open(os.path.join(out, 'letters.json'), 'w'), indent=1)
for i, (g, k, n) in enumerate(zip(images, labels, names)):
    d = os.path.join(out, 'png', LETTERS[k]); os.makedirs(d, exist_ok=True)
    Image.fromarray(g).save(os.path.join(d, f'{i // len(LETTERS):04d}-{os.path.splitext(n)[0]}.png'))
print(f'{len(images)} images from {len(seen)} fonts ({len(paths)} font files looked at) in {out}')
