"""Test helper for workers/torch/torch.test.ts: loads each case's model.safetensors into the
PyTorch model of workers/torch/models.py (strict), runs the case's inputs in eval mode, and
prints, per case, the largest error of the backbone features and the projector output relative
to the largest value the studio computed.

    python3 workers/torch/torch_features.py DIR   (DIR/<case>/{model,io}.safetensors)
"""
import json, os, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import load_safetensors, load_studio_model  # noqa: E402

torch.set_num_threads(1)
root = sys.argv[1]
out = {}
for case in sorted(os.listdir(root)):
    model, config, meta = load_studio_model(os.path.join(root, case, 'model.safetensors'))
    io, _ = load_safetensors(os.path.join(root, case, 'io.safetensors'))
    model.eval()
    with torch.no_grad():
        y = model.backbone(io['x'])
        z = model.projector(y)
    rel = lambda a, b: ((a - b).abs().max() / b.abs().max()).item()
    out[case] = {'features': rel(y, io['features']), 'projection': rel(z, io['projection']), 'dim': y.shape[1]}
print(json.dumps(out))
