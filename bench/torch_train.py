#!/usr/bin/env python3
"""PyTorch twin of bench/train-net.ts (SMALL_NET): the same CenterNet-style network and losses,
timed the same way (warm-up, then N training steps of forward + backward + Adam, then N inference
passes), so bench/train.ts can put tfjs's figures next to PyTorch's on the same machine.

Prints one JSON object on stdout:
  {"torch": version, "threads": n, "train_step_s": [...], "train_cpu_s": [...], "infer_s": [...],
   "peak_rss_mib": m}

Backbone: 3x3 conv (stride 1), then a 3x3 stride-2 conv per further width, each with batch norm
(batch statistics) and ReLU; heads: 3x3 conv + ReLU + 1x1 conv; losses: CenterNet's focal loss on
the sigmoid heatmap, masked L1 of the other heads gathered at the object centres.
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn

HEADS = {"hm": 10, "reg": 2, "wh": 2, "dep": 1, "rot": 8, "dim": 3, "amodel_offset": 2}


class Net(nn.Module):
    def __init__(self, in_ch, channels, head_conv):
        super().__init__()
        layers = []
        cin = in_ch
        for i, c in enumerate(channels):
            layers += [nn.Conv2d(cin, c, 3, stride=1 if i == 0 else 2, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            cin = c
        self.base = nn.Sequential(*layers)
        self.heads = nn.ModuleDict()
        for name, out in HEADS.items():
            head = nn.Sequential(nn.Conv2d(cin, head_conv, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(head_conv, out, 1))
            if name == "hm":
                head[-1].bias.data.fill_(-4.6)
            self.heads[name] = head

    def forward(self, x):
        f = self.base(x)
        return {name: head(f) for name, head in self.heads.items()}


def loss_fn(out, hm, ind, mask, targets):
    p = torch.clamp(torch.sigmoid(out["hm"]), 1e-4, 1 - 1e-4)
    pos = hm.eq(1).float()
    neg = 1 - pos
    pos_loss = (torch.log(p) * (1 - p) ** 2 * pos).sum()
    neg_loss = (torch.log(1 - p) * p ** 2 * (1 - hm) ** 4 * neg).sum()
    total = -(pos_loss + neg_loss) / torch.clamp(pos.sum(), min=1)
    mask_sum = mask.sum() + 1e-4
    for name, target in targets.items():
        o = out[name]
        flat = o.permute(0, 2, 3, 1).reshape(-1, o.shape[1])
        pred = flat[ind]
        total = total + (torch.abs(pred - target) * mask).sum() / mask_sum
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--height", type=int, default=128)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--in-channels", type=int, default=6)
    ap.add_argument("--channels", default="16,32,64")
    ap.add_argument("--head-conv", type=int, default=64)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--objects", type=int, default=16)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-infer", action="store_true", help="skip the inference timing")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(317)
    channels = [int(c) for c in a.channels.split(",")]
    net = Net(a.in_channels, channels, a.head_conv)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    oh, ow = a.height, a.width
    for _ in channels[1:]:
        oh, ow = (oh + 1) // 2, (ow + 1) // 2
    b, n = a.batch, a.batch * a.objects
    images = torch.rand(b, a.in_channels, a.height, a.width) * 2 - 1
    hm = torch.rand(b, HEADS["hm"], oh, ow) * torch.rand(b, HEADS["hm"], oh, ow) * 0.5
    pix = torch.randint(0, oh * ow, (n,))
    ind = torch.arange(b).repeat_interleave(a.objects) * oh * ow + pix
    hm.view(b, HEADS["hm"], -1)[torch.arange(b).repeat_interleave(a.objects), torch.randint(0, HEADS["hm"], (n,)), pix] = 1
    mask = torch.ones(n, 1)
    targets = {k: torch.rand(n, c) for k, c in HEADS.items() if k != "hm"}

    def step():
        opt.zero_grad()
        loss = loss_fn(net(images), hm, ind, mask, targets)
        loss.backward()
        opt.step()
        return loss.item()

    net.train()
    for _ in range(a.warmup):
        step()
    train, train_cpu = [], []
    for _ in range(a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        train.append(time.perf_counter() - t0)
        train_cpu.append(time.process_time() - c0)
    net.eval()
    infer = []
    with torch.no_grad():
        for i in range(0 if a.no_infer else a.warmup + a.steps):
            t0 = time.perf_counter()
            out = net(images)
            torch.sigmoid(out["hm"]).sum().item()
            if i >= a.warmup:
                infer.append(time.perf_counter() - t0)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": a.threads,
        "train_step_s": train,
        "train_cpu_s": train_cpu,
        "infer_s": infer,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
