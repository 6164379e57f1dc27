"""Pixel baselines on the PyTorch lab's split, both ways: raw [0,1] (the lab's baselines.py) and centred
by the mean and std of the train split (the studio's 'raw pixels' row centres by its data set's, workers/eval/features.ts evalInput).
Holding the lab's trained k-NN against the centred row compares the lab and the studio with one
evaluator (docs/recipes.md section 4). Run it from a copy of ../shared/pytorch-lab, beside its lib.py:
    cp bench/lab-pixels.py /tmp/lab/ && cd /tmp/lab && /usr/bin/python3 lab-pixels.py"""
import json, torch
from lib import *
xtr0, ytr, xte0, yte = load_split()
xtr, xte = prep(xtr0, 32, 3), prep(xte0, 32, 3)
M, S = xtr.mean().item(), xtr.std().item()
r = {}
for name, (a, b) in {'raw': (xtr, xte), 'centred': ((xtr - M) / S, (xte - M) / S)}.items():
    a, b = a.flatten(1), b.flatten(1)
    r[f'{name}_knn'] = round(knn(a, ytr, b, yte), 2); r[f'{name}_probe'] = round(linear_probe(a, ytr, b, yte), 2)
print(json.dumps(r))
