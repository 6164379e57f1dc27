"""The studio's training step in PyTorch eager on this CPU, for `npm run bench`'s PyTorch column.

The same step as workers/train/step.ts: two views through backbone and projector separately (BatchNorm
statistics per view), the studio's loss, backward, the optimizer's update; the model, loss and
optimizers are the studio's own PyTorch export (workers/torch/models.py, train_vicreg.py), so the
comparison is of engines, not of programs.

    /usr/bin/python3 bench/torch_step.py '<studio config JSON>' <threads> [seconds]

Prints one JSON line: {"imagesPerSec": ..., "threads": ..., "torch": version}. Images per second
count image pairs, as the studio's bench does.
"""
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_DIR = os.path.join(HERE, '..', 'workers', 'torch')


def load_trainer(config):
    """train_vicreg.py with its placeholders filled as workers/torch/project.ts fills them."""
    src = open(os.path.join(TORCH_DIR, 'train_vicreg.py')).read()
    models = open(os.path.join(TORCH_DIR, 'models.py')).read()
    src = (src.replace('@@CONFIG@@', 'json.loads(%r)' % json.dumps(config))
           .replace('@@NORMALIZATION@@', 'None').replace('@@APP_VERSION@@', 'bench')
           .replace('# @@MODELS@@', models))
    ns = {'__name__': 'train_vicreg_bench'}
    exec(compile(src, 'train_vicreg.py', 'exec'), ns)
    return ns


def main():
    config = json.loads(sys.argv[1])
    threads = int(sys.argv[2])
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    t = load_trainer(config)
    model = t['VICRegModel'](config)
    model.train()
    opt = t['make_optimizer'](model)
    for g in opt.param_groups:
        g['lr'] = 0.01
    b, s = config['batchSize'], config['imageSize']
    x1, x2 = torch.randn(b, 3, s, s), torch.randn(b, 3, s, s)
    avt = {'ema': None}

    def step(i):
        z1, z2 = model(x1), model(x2)
        loss, _ = t['vicreg_loss'](z1, z2, i, avt)  # reads the terms back, as the studio's metrics do
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for i in range(2):  # warm-up: allocator, optimizer state
        step(i)
    n, t0 = 0, time.perf_counter()
    while n < 3 or time.perf_counter() - t0 < seconds:
        step(n)
        n += 1
    elapsed = time.perf_counter() - t0
    print(json.dumps({'imagesPerSec': n * b / elapsed, 'steps': n, 'threads': threads, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
