"""A whole VICReg training step of the studio's small CNN in PyTorch (float64), pinned as a fixture
for workers/train/step.test.ts: the same weights and two views give the same loss terms, gradients,
BatchNorm running statistics, and weights after one AdamW and one LARS update.

    apt-get install -y python3-torch && /usr/bin/python3 tools/torch-step-reference.py

The network is built the studio's way (workers/model/encoder.ts, projector.ts): conv 3x3 with TF's
'same' padding (at stride 2 on an even side: 0 before, 1 after), BatchNorm over each view's own
batch (main_vicreg.py runs the views separately), ReLU, global average pool; projector
Linear-BN-ReLU then Linear without bias. Weights are written in the studio's layouts (conv HWIO,
dense [in, out]); the views NHWC. LARS is main_vicreg.py's, AdamW torch's with the studio's rule of
no weight decay on 1-D parameters (biases and norms).
"""
import json, math, os
import torch, torch.nn.functional as F

torch.manual_seed(7)
torch.set_default_dtype(torch.float64)
W, B, S, P = 2, 6, 8, [8, 8]  # width, batch, side, projector
ch = [3, W, 2 * W, 4 * W, 8 * W]
params = {}
for i in range(4):
    params[f'backbone.conv{i+1}.weight'] = torch.randn(ch[i + 1], ch[i], 3, 3) * math.sqrt(2 / (9 * ch[i]))
    params[f'backbone.bn{i+1}.weight'] = 1 + 0.1 * torch.randn(ch[i + 1])
    params[f'backbone.bn{i+1}.bias'] = 0.1 * torch.randn(ch[i + 1])
f = [ch[4]] + P
params['projector.0.weight'] = torch.randn(f[1], f[0]) / math.sqrt(f[0])
params['projector.0.bias'] = 0.1 * torch.randn(f[1])
params['projector.1.weight'] = 1 + 0.1 * torch.randn(f[1])
params['projector.1.bias'] = 0.1 * torch.randn(f[1])
params['projector.3.weight'] = torch.randn(f[2], f[1]) / math.sqrt(f[1])
running = {}
for name, c in [(f'backbone.bn{i+1}', ch[i + 1]) for i in range(4)] + [('projector.1', f[1])]:
    running[name + '.running_mean'] = 0.1 * torch.randn(c)
    running[name + '.running_var'] = 1 + 0.1 * torch.rand(c)
x1, x2 = torch.randn(B, 3, S, S), torch.randn(B, 3, S, S)

def network(p, run, x):
    h = x
    for i, s in enumerate([1, 2, 2, 2]):
        k = p[f'backbone.conv{i+1}.weight']
        h = F.conv2d(h, k, padding=1) if s == 1 else F.conv2d(F.pad(h, (0, 1, 0, 1)), k, stride=2)
        n = f'backbone.bn{i+1}'
        h = F.relu(F.batch_norm(h, run[n + '.running_mean'], run[n + '.running_var'], p[n + '.weight'], p[n + '.bias'], True, 0.1, 1e-5))
    y = h.mean((2, 3))
    y = F.linear(y, p['projector.0.weight'], p['projector.0.bias'])
    y = F.relu(F.batch_norm(y, run['projector.1.running_mean'], run['projector.1.running_var'], p['projector.1.weight'], p['projector.1.bias'], True, 0.1, 1e-5))
    return F.linear(y, p['projector.3.weight'])

def off(m): n = m.shape[0]; return m.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()

def vicreg(z1, z2):  # main_vicreg.py VICReg.forward, sim 25, std 25, cov 1
    n, d = z1.shape
    inv = F.mse_loss(z1, z2)
    a, b = z1 - z1.mean(0), z2 - z2.mean(0)
    var = torch.mean(F.relu(1 - torch.sqrt(a.var(0) + 1e-4))) / 2 + torch.mean(F.relu(1 - torch.sqrt(b.var(0) + 1e-4))) / 2
    cov = off(a.T @ a / (n - 1)).pow(2).sum() / d + off(b.T @ b / (n - 1)).pow(2).sum() / d
    return 25 * inv + 25 * var + cov, inv, var, cov

p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
run = {k: v.clone() for k, v in running.items()}
loss, inv, var, cov = vicreg(network(p, run, x1), network(p, run, x2))
loss.backward()
grads = {k: v.grad.detach() for k, v in p.items()}

def adamw_step(lr=0.01, wd=0.05):
    q = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    for k in q: q[k].grad = grads[k].clone()
    groups = [dict(params=[q[k] for k in q if q[k].ndim > 1]), dict(params=[q[k] for k in q if q[k].ndim == 1], weight_decay=0)]
    torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd).step()
    return {k: v.detach() for k, v in q.items()}

def lars_step(lr=0.2, wd=1e-4, eta=0.02, momentum=0.9):  # main_vicreg.py LARS, first step (mu = 0)
    out = {}
    for k, w in params.items():
        dp = grads[k].clone()
        if w.ndim != 1:
            dp = dp + wd * w
            pn, un = w.norm(), dp.norm()
            dp = dp * (eta * pn / un if pn > 0 and un > 0 else 1.0)
        out[k] = w - lr * dp
    return out

def studio(k, v):  # torch layout -> the studio's (conv OIHW -> HWIO, dense [out, in] -> [in, out])
    v = v.detach()
    if v.ndim == 4: v = v.permute(2, 3, 1, 0)
    elif v.ndim == 2: v = v.t()
    return {'shape': list(v.shape), 'data': [round(float(t), 12) for t in v.flatten()]}

fixture = {
    'about': 'tools/torch-step-reference.py: PyTorch ' + torch.__version__ + ', float64',
    'config': {'width': W, 'batchSize': B, 'imageSize': S, 'projector': '-'.join(map(str, P))},
    'x1': {'shape': [B, S, S, 3], 'data': [round(float(t), 12) for t in x1.permute(0, 2, 3, 1).flatten()]},  # NHWC
    'x2': {'shape': [B, S, S, 3], 'data': [round(float(t), 12) for t in x2.permute(0, 2, 3, 1).flatten()]},
    'weights': {k: studio(k, v) for k, v in params.items()},
    'running': {k: studio(k, v) for k, v in running.items()},
    'terms': {'loss': loss.item(), 'invariance': inv.item(), 'variance': var.item(), 'covariance': cov.item()},
    'grads': {k: studio(k, v) for k, v in grads.items()},
    'runningAfter': {k: studio(k, v) for k, v in run.items()},
    'adamw': {'lr': 0.01, 'weightDecay': 0.05, 'weights': {k: studio(k, v) for k, v in adamw_step().items()}},
    'lars': {'lr': 0.2, 'weightDecay': 1e-4, 'eta': 0.02, 'weights': {k: studio(k, v) for k, v in lars_step().items()}},
}
path = os.path.join(os.path.dirname(__file__), '..', 'workers', 'train', 'fixtures', 'torch-step.json')
json.dump(fixture, open(path, 'w'))
print('wrote', os.path.normpath(path), 'loss', loss.item())
