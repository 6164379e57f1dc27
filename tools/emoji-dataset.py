"""Emoji drawn by Debian's Noto Color Emoji font, one class per Unicode emoji group: the studio's
second real image set (colour, 9 classes, semantic rather than shape classes), for checking that a
recipe is not tuned to Fashion-MNIST.

    apt-get install -y python3-pil fonts-noto-color-emoji unicode-data
    /usr/bin/python3 tools/emoji-dataset.py /tmp/emoji      # emoji.json/.u8/.labels.u8 + png/<group>/

Classes are the groups of /usr/share/unicode/emoji/emoji-test.txt (Smileys & Emotion, People &
Body, Animals & Nature, Food & Drink, Travel & Places, Activities, Objects, Symbols, Flags); every
fully-qualified emoji the font draws becomes one 32x32 RGB image on white (Noto's bitmaps are
136 px, scaled down with Lanczos). Skin-tone variants are left out: they would put near-copies of
one drawing on both sides of the split.
"""
import json, os, sys
import numpy as np
from PIL import Image, ImageDraw, ImageFont

out = sys.argv[1] if len(sys.argv) > 1 else '/tmp/emoji'
SIDE = 32
font = ImageFont.truetype('/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf', 109)  # CBDT: its one bitmap size
TONES = {chr(c) for c in range(0x1F3FB, 0x1F400)}
groups, items, group = [], [], None
for line in open('/usr/share/unicode/emoji/emoji-test.txt', encoding='utf-8'):
    if line.startswith('# group:'):
        group = line.split(':', 1)[1].strip(); groups.append(group); continue
    if not line.strip() or line.startswith('#') or 'fully-qualified' not in line.split('#')[0]: continue
    seq = ''.join(chr(int(h, 16)) for h in line.split(';')[0].split())
    if TONES & set(seq) or group == 'Component': continue
    items.append((seq, group))
groups = [g for g in groups if g != 'Component']
images, labels = [], []
for seq, g in items:
    img = Image.new('RGBA', (160, 160), (255, 255, 255, 255))
    ImageDraw.Draw(img).text((10, 10), seq, font=font, embedded_color=True)
    rgb = img.convert('RGB'); box = Image.eval(rgb, lambda v: 255 - v).getbbox()
    if box is None: continue
    g_img = rgb.crop(box)
    if max(g_img.size) < 60 or g_img.width > 150: continue  # not drawn, or drawn as several glyphs
    s = SIDE / max(g_img.size)
    g_img = g_img.resize((max(1, round(g_img.width * s)), max(1, round(g_img.height * s))), Image.LANCZOS)
    canvas = Image.new('RGB', (SIDE, SIDE), (255, 255, 255))
    canvas.paste(g_img, ((SIDE - g_img.width) // 2, (SIDE - g_img.height) // 2))
    images.append(np.asarray(canvas)); labels.append(groups.index(g))
os.makedirs(out, exist_ok=True)
np.stack(images).astype(np.uint8).tofile(os.path.join(out, 'emoji.u8'))
np.array(labels, np.uint8).tofile(os.path.join(out, 'emoji.labels.u8'))
json.dump(dict(name=f'Emoji by Unicode group ({len(images)} images)', source="Debian's fonts-noto-color-emoji and unicode-data (tools/emoji-dataset.py)",
               count=len(images), height=SIDE, width=SIDE, channels=3, classes=groups, pixels='emoji.u8', labels='emoji.labels.u8'),
          open(os.path.join(out, 'emoji.json'), 'w'), indent=1)
for i, (im, k) in enumerate(zip(images, labels)):
    d = os.path.join(out, 'png', groups[k].replace(' & ', ' and ')); os.makedirs(d, exist_ok=True)
    Image.fromarray(im).save(os.path.join(d, f'{i:04d}.png'))
counts = np.bincount(labels, minlength=len(groups))
print(f'{len(images)} images in {len(groups)} groups: ' + ', '.join(f'{g} {c}' for g, c in zip(groups, counts)))
