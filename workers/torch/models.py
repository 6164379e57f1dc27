"""The studio's backbones and projector in PyTorch, under the studio's parameter names (which are
torchvision's and timm's), so a `model.safetensors` exported by VICReg Studio loads with
`load_state_dict(strict=True)` and computes the same features.

    small-cnn     four 3x3 conv-BN-ReLU stages (stride 1, 2, 2, 2; width w, 2w, 4w, 8w), with
                  TensorFlow's 'same' padding (at stride 2 on an even side: 0 before, 1 after)
    resnet18/34/50  torchvision's BasicBlock / Bottleneck (v1.5), widths scaled by widthMult;
                  stem 'cifar' (3x3 stride 1, no max-pool) or 'imagenet' (torchvision's own)
    resnet50v2    Keras's ResNet50V2 (pre-activation) under Keras's layer names
    mobilenetv2   torchvision.models.mobilenet_v2(width_mult=widthMult).features
    vit-tiny/small  timm's VisionTransformer names (patch_embed.proj, cls_token, pos_embed,
                  blocks.i.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}, norm), class token

Each backbone's forward gives the global feature [B, D] (the studio's featPool 'global'); the
projector is Linear-BN-ReLU per hidden size and a final Linear without bias (main_vicreg.py).
Reads and writes safetensors with the `safetensors` package when it is installed, and with the
small reader and writer below when it is not (the format is an 8-byte header length, a JSON
header, raw little-endian data).
"""
import json
import math
import struct
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------- safetensors
_DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16,
           'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}


def load_safetensors(path):
    """{name: tensor}, {metadata} of a safetensors file."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop('__metadata__', {}) or {}
    try:
        from safetensors.torch import load as st_load
        return st_load(raw), metadata
    except ImportError:
        pass
    out = {}
    for name, e in header.items():
        begin, end = e['data_offsets']
        buf = bytearray(raw[8 + n + begin:8 + n + end])
        t = torch.frombuffer(buf, dtype=_DTYPES[e['dtype']]) if buf else torch.empty(0, dtype=_DTYPES[e['dtype']])
        out[name] = t.reshape(e['shape']).clone()
    return out, metadata


def tensors_crc32(tensors):
    """CRC-32 of every tensor's bytes in the order of their names (the studio's "tensors_crc32")."""
    crc = 0
    for k in sorted(tensors):
        v = tensors[k].detach().contiguous().cpu()
        crc = zlib.crc32((v.view(torch.int16) if v.dtype == torch.bfloat16 else v).numpy().tobytes(), crc)
    return format(crc, '08x')


def save_safetensors(tensors, path, metadata=None):
    """Writes {name: tensor} (contiguous, little-endian) with string metadata, and the tensors'
    CRC-32 in it, which the studio checks on import."""
    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    metadata = dict(metadata or {}, tensors_crc32=tensors_crc32(tensors))
    try:
        from safetensors.torch import save_file
        return save_file(tensors, path, metadata=metadata)
    except ImportError:
        pass
    names = {v: k for k, v in _DTYPES.items()}
    header, blobs, at = {}, [], 0
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    for k, v in tensors.items():
        b = v.numpy().tobytes() if v.dtype != torch.bfloat16 else v.view(torch.int16).numpy().tobytes()
        header[k] = {'dtype': names[v.dtype], 'shape': list(v.shape), 'data_offsets': [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


# ----------------------------------------------------------------------------- backbones
def same_pad(h, k, s):
    """TensorFlow's 'same' padding for a k x k conv at stride s (extra pixel after, not before)."""
    def amounts(n):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        return total // 2, total - total // 2
    (t, b), (l, r) = amounts(h.shape[2]), amounts(h.shape[3])
    return F.pad(h, (l, r, t, b))


class SmallCNN(nn.Module):
    def __init__(self, width):
        super().__init__()
        ch = [3, width, 2 * width, 4 * width, 8 * width]
        self.strides = [1, 2, 2, 2]
        for i in range(4):
            setattr(self, f'conv{i + 1}', nn.Conv2d(ch[i], ch[i + 1], 3, self.strides[i], 0, bias=False))
            setattr(self, f'bn{i + 1}', nn.BatchNorm2d(ch[i + 1]))
        self.dim = ch[4]

    def feature_map(self, x):
        for i, s in enumerate(self.strides):
            x = F.relu(getattr(self, f'bn{i + 1}')(getattr(self, f'conv{i + 1}')(same_pad(x, 3, s))))
        return x

    def forward(self, x):
        return self.feature_map(x).mean((2, 3))


def scaled(c, mult):
    return max(1, round(c * mult))


class ResNet(nn.Module):
    """torchvision's ResNet without fc, every width scaled by width_mult (1 = torchvision's)."""

    def __init__(self, name, width_mult=1.0, stem='cifar'):
        super().__init__()
        from torchvision.models.resnet import BasicBlock, Bottleneck
        block, layers = {'resnet18': (BasicBlock, [2, 2, 2, 2]), 'resnet34': (BasicBlock, [3, 4, 6, 3]),
                         'resnet50': (Bottleneck, [3, 4, 6, 3])}[name]
        width = scaled(64, width_mult)
        if stem == 'imagenet':
            self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        else:
            self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(width)
        cin = width
        for stage, n in enumerate(layers):
            planes = scaled([64, 128, 256, 512][stage], width_mult)
            blocks = []
            for i in range(n):
                stride = 2 if i == 0 and stage > 0 else 1
                cout = planes * block.expansion
                down = None
                if stride != 1 or cin != cout:
                    down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                if block is BasicBlock:
                    blocks.append(BasicBlock(cin, planes, stride, down))
                else:  # Bottleneck's inner width is planes * base_width / 64; base_width = 64 keeps it planes
                    blocks.append(Bottleneck(cin, planes, stride, down))
                cin = cout
            setattr(self, f'layer{stage + 1}', nn.Sequential(*blocks))
        self.dim = cin

    def feature_map(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x):
        return self.feature_map(x).mean((2, 3))


class PreactBlock(nn.Module):
    """Keras's residual_block_v2 (keras/src/applications/resnet_v2.py): BN-ReLU first; a 1x1 conv
    shortcut (with bias) on the pre-activation where conv_shortcut, else the raw input, subsampled
    where strided (MaxPooling2D(1, stride)); 1x1, 3x3 (strided, zero-padded by 1), 1x1 with bias."""

    def __init__(self, cin, filters, stride, conv_shortcut):
        super().__init__()
        self.stride = stride
        bn = lambda c: nn.BatchNorm2d(c, eps=1.001e-5, momentum=0.01)  # Keras: epsilon 1.001e-5, momentum 0.99
        self.preact_bn = bn(cin)
        self.shortcut = nn.Conv2d(cin, 4 * filters, 1, stride) if conv_shortcut else None
        self.conv1 = nn.Conv2d(cin, filters, 1, bias=False)
        self.bn1 = bn(filters)
        self.conv2 = nn.Conv2d(filters, filters, 3, stride, 1, bias=False)
        self.bn2 = bn(filters)
        self.conv3 = nn.Conv2d(filters, 4 * filters, 1)

    def forward(self, x):
        pre = F.relu(self.preact_bn(x))
        shortcut = self.shortcut(pre) if self.shortcut is not None else x[:, :, ::self.stride, ::self.stride]
        h = F.relu(self.bn1(self.conv1(pre)))
        h = F.relu(self.bn2(self.conv2(h)))
        return shortcut + self.conv3(h)


class ResNet50V2(nn.Module):
    """tf.keras.applications.ResNet50V2(include_top=False), widths scaled by width_mult, under
    Keras's layer names (conv1_conv, conv2_block1_preact_bn, conv2_block1_0_conv, ..., post_bn), so
    a Keras h5 maps one to one. Each stack's stride sits on its LAST block, as Keras builds it; timm's
    resnetv2_50 puts it on the first and has no conv biases, so its names would mislead."""

    _NAMES = {'preact_bn': 'preact_bn', 'shortcut': '0_conv', 'conv1': '1_conv', 'bn1': '1_bn',
              'conv2': '2_conv', 'bn2': '2_bn', 'conv3': '3_conv'}

    def __init__(self, width_mult=1.0, stem='imagenet'):
        super().__init__()
        w = scaled(64, width_mult)
        self.imagenet = stem == 'imagenet'
        self.conv1_conv = nn.Conv2d(3, w, 7, 2, 3) if self.imagenet else nn.Conv2d(3, w, 3, 1, 1)
        self.blocks = []
        cin = w
        for stack, (f, n, last_stride) in enumerate([(64, 3, 2), (128, 4, 2), (256, 6, 2), (512, 3, 1)]):
            filters = scaled(f, width_mult)
            for i in range(n):
                b = PreactBlock(cin, filters, last_stride if i == n - 1 else 1, i == 0)
                name = f'conv{stack + 2}_block{i + 1}'
                self.blocks.append(b)
                for mine, keras in self._NAMES.items():  # the block's layers under Keras's flat names
                    if getattr(b, mine) is not None:
                        self.add_module(f'{name}_{keras}', getattr(b, mine))
                cin = 4 * filters
        self.post_bn = nn.BatchNorm2d(cin, eps=1.001e-5, momentum=0.01)
        self.dim = cin

    def feature_map(self, x):
        x = self.conv1_conv(x)
        if self.imagenet:  # ZeroPadding2D(1) then MaxPooling2D(3, 2): zeros, not -inf, pad the pool
            x = F.max_pool2d(F.pad(x, (1, 1, 1, 1)), 3, 2)
        for b in self.blocks:
            x = b(x)
        return F.relu(self.post_bn(x))

    def forward(self, x):
        return self.feature_map(x).mean((2, 3))


class MobileNetV2(nn.Module):
    def __init__(self, width_mult=1.0):
        super().__init__()
        import torchvision
        self.features = torchvision.models.mobilenet_v2(width_mult=width_mult).features
        self.dim = self.features[-1][0].out_channels

    def feature_map(self, x):
        return self.features(x)

    def forward(self, x):
        return self.features(x).mean((2, 3))


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, D = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        a = (q * (D // self.heads) ** -0.5) @ k.transpose(-2, -1)
        return self.proj((a.softmax(-1) @ v).transpose(1, 2).reshape(B, N, D))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)


class ViT(nn.Module):
    """timm's VisionTransformer (class token, no dropout), under timm's names."""

    def __init__(self, name, width_mult, patch, depth, image_size):
        super().__init__()
        dim, heads = {'vit-tiny': (192, 3), 'vit-small': (384, 6)}[name]
        head_dim = scaled(dim / heads, width_mult)
        D, grid = heads * head_dim, image_size // patch
        self.patch_embed = PatchEmbed(patch, D)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.pos_embed = nn.Parameter(torch.zeros(1, grid * grid + 1, D))
        self.blocks = nn.Sequential(*[Block(D, heads, 4 * D) for _ in range(depth)])
        self.norm = nn.LayerNorm(D, eps=1e-6)
        self.dim = D

    def tokens(self, x):
        p = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), p], 1) + self.pos_embed
        return self.norm(self.blocks(x))

    def forward(self, x):
        return self.tokens(x)[:, 0]


def build_backbone(c):
    """The backbone a studio config describes (the keys of workers/contract/config.ts)."""
    b = c['backbone']
    if b == 'small-cnn':
        return SmallCNN(c['width'])
    if b == 'resnet50v2':
        return ResNet50V2(c['widthMult'], c['stem'])
    if b.startswith('resnet'):
        return ResNet(b, c['widthMult'], c['stem'])
    if b == 'mobilenetv2':
        return MobileNetV2(c['widthMult'])
    return ViT(b, c['widthMult'], c['patchSize'], c['vitDepth'], c['imageSize'])


def build_projector(dim, spec):
    """main_vicreg.py Projector: Linear-BN-ReLU per hidden size, then Linear without bias."""
    f = [dim] + [int(x) for x in spec.split('-')]
    layers = []
    for i in range(len(f) - 2):
        layers += [nn.Linear(f[i], f[i + 1]), nn.BatchNorm1d(f[i + 1]), nn.ReLU(True)]
    layers.append(nn.Linear(f[-2], f[-1], bias=False))
    return nn.Sequential(*layers)


class VICRegModel(nn.Module):
    """backbone + projector, as the studio's model (state dict keys backbone.*, projector.*)."""

    def __init__(self, c):
        super().__init__()
        self.backbone = build_backbone(c)
        self.projector = build_projector(self.backbone.dim, c['projector'])

    def forward(self, x):
        return self.projector(self.backbone(x))


def load_studio_model(path):
    """The model of a studio `model.safetensors`, its config and its metadata."""
    tensors, meta = load_safetensors(path)
    c = json.loads(meta['config'])
    m = VICRegModel(c)
    m.load_state_dict(tensors, strict=True)
    return m, c, meta
