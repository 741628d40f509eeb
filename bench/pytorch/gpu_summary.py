"""bench/gpu.sh's last step: reads the RESULT lines of a results file and prints issue 15's comparison.

Targets (each PASS/FAIL, or "not measured" when a side is missing): DslNet training and inference samples/s >= PyTorch
eager's at every batch in fp32; DslNet bf16 and fp16 >= 1.5x DslNet fp32 at the largest batch; DslNet's test AUC within
0.003 of PyTorch's in each precision. Exit status 1 when a measured target fails.
"""
import sys
from collections import defaultdict

results = defaultdict(dict)  # (framework, what, precision) -> {batch: value}
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    parts = line.split()
    if len(parts) == 6 and parts[0] == "RESULT":
        _, framework, what, precision, batch, value = parts
        results[(framework, what, precision)][int(batch)] = float(value)

failed = False


def verdict(ok):
    global failed
    failed |= not ok
    return "PASS" if ok else "FAIL"


print(f"{'what':<8} {'precision':<9} {'batch':>7} {'DslNet':>14} {'PyTorch':>14} {'ratio':>7}  target")
for what in ("train", "predict"):
    for precision in ("fp32", "fp16", "bf16"):
        ours, theirs = results.get(("dslnet", what, precision), {}), results.get(("torch", what, precision), {})
        for batch in sorted(set(ours) | set(theirs)):
            a, b = ours.get(batch), theirs.get(batch)
            ratio = f"{a / b:7.2f}" if a and b else "      -"
            target = "" if precision != "fp32" else (verdict(a >= b) + " (>= PyTorch)") if a and b else "not measured"
            print(f"{what:<8} {precision:<9} {batch:>7} {a or float('nan'):>14,.0f} {b or float('nan'):>14,.0f} {ratio}  {target}")

for what in ("train", "predict"):
    fp32 = results.get(("dslnet", what, "fp32"), {})
    if not fp32:
        continue
    largest = max(fp32)
    for precision in ("bf16", "fp16"):
        value = results.get(("dslnet", what, precision), {}).get(largest)
        if value:
            print(f"DslNet {what} {precision} / fp32 at {largest}: {value / fp32[largest]:.2f}x  {verdict(value >= 1.5 * fp32[largest])} (>= 1.5x)")
        else:
            print(f"DslNet {what} {precision} at {largest}: not measured")

for precision in ("fp32", "fp16", "bf16"):
    ours, theirs = results.get(("dslnet", "auc", precision), {}), results.get(("torch", "auc", precision), {})
    if ours and theirs:
        a, b = next(iter(ours.values())), next(iter(theirs.values()))
        print(f"AUC {precision}: DslNet {a:.4f}, PyTorch {b:.4f}, difference {abs(a - b):.4f}  {verdict(abs(a - b) <= 0.003)} (<= 0.003)")
    elif ours:
        print(f"AUC {precision}: DslNet {next(iter(ours.values())):.4f}, PyTorch not measured")

for prefix, label, unit in (("crossover", "GEMM crossover, StreamRec", "rows"), ("conv-crossover", "GEMM crossover, ResNet convolutions", "images")):
    for what in ("training", "inference"):
        crossover = results.get(("dslnet", f"{prefix}-{what}", "fp32"), {}).get(0)
        if crossover is not None:
            print(f"{label} ({what}): " + (f"{int(crossover):,} {unit}" if crossover >= 0 else "none (the fused or direct kernels win throughout)"))

sys.exit(1 if failed else 0)
