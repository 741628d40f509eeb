#!/usr/bin/python3
"""Diffs a regenerated reference folder against the committed one (tests/reference by default).

    python3 tests/reference/scripts/compare.py NEW_DIR [--against tests/reference] [--rtol 1e-6]

For every committed file: the schema must match exactly (same keys in the same order, same nesting, same list
lengths, same value types, same descriptive strings). Numbers are then compared wherever they follow from the same
inputs: a dict holding input fields (x, dy, p0, grads, initial_state, batches, ...) whose inputs are identical
in both files must have the same outputs to rtol (relative, with a floor of 1e-3 of the list's largest magnitude
so float noise around zero is not judged against itself); where its inputs differ (random draws from another
stream) its outputs are not compared, and the report says so. Dicts with no inputs anywhere above them
(schedulers, grad_scaler) are deterministic and always compared. init_variance is statistical: within 10x.
Files missing from NEW_DIR (a partial --only run) are listed and skipped. Exit status 1 if any schema differs or
any number that should match does not.
"""
import argparse
import json
import math
import os
import sys

INPUT_KEYS = {"x", "dy", "p0", "grads", "logits", "targets", "pred", "target", "gamma", "beta", "weight", "bias",
              "before_running_mean", "before_running_var", "initial_state", "batches", "eval_x", "found_inf"}
STATISTICAL = {"init_variance.json": 10.0}


class Report:
    def __init__(self):
        self.schema = []           # paths whose structure differs
        self.mismatch = []         # (path, index, committed, regenerated)
        self.inputs_differ = []    # input fields that differ
        self.skipped = 0           # output leaves not compared because their inputs differ
        self.compared = 0          # numbers compared
        self.worst = 0.0           # largest relative difference among compared numbers


def _kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return type(value).__name__


def _is_numeric_leaf(value):
    return not isinstance(value, (dict, str)) and not (isinstance(value, list) and value and
                                                      isinstance(value[0], dict))


def _numbers(value):
    if isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    else:
        yield value


def _same_schema(committed, regenerated, path, report):
    """Schema only (keys, order, lengths, types, strings); records the first difference under path."""
    if _kind(committed) != _kind(regenerated):
        report.schema.append(f"{path}: {_kind(committed)} vs {_kind(regenerated)}")
        return False
    if isinstance(committed, dict):
        if list(committed) != list(regenerated):
            report.schema.append(f"{path}: keys {list(committed)} vs {list(regenerated)}")
            return False
        return all([_same_schema(committed[k], regenerated[k], f"{path}/{k}", report) for k in committed])
    if isinstance(committed, list):
        if len(committed) != len(regenerated):
            report.schema.append(f"{path}: length {len(committed)} vs {len(regenerated)}")
            return False
        return all([_same_schema(a, b, f"{path}[{i}]", report) for i, (a, b) in enumerate(zip(committed, regenerated))])
    if isinstance(committed, str) and committed != regenerated:
        report.schema.append(f"{path}: {committed!r} vs {regenerated!r}")
        return False
    return True


def _compare_numbers(committed, regenerated, path, report, rtol, factor):
    expected, actual = list(_numbers(committed)), list(_numbers(regenerated))
    finite = [abs(float(v)) for v in expected if math.isfinite(float(v))]
    floor = 1e-3 * max(finite, default=0.0)
    for index, (e, a) in enumerate(zip(expected, actual)):
        report.compared += 1
        e, a = float(e), float(a)
        if factor is not None:
            ok = (a > 1e30 if math.isinf(e) else (e > 1e30 if math.isinf(a) else e / factor <= a <= e * factor))
            difference = 0.0
        elif math.isinf(e) or math.isnan(e):
            ok, difference = (e == a or (math.isnan(e) and math.isnan(a))), 0.0
        else:
            difference = abs(a - e) / max(abs(e), floor, 1e-300)
            ok = difference <= rtol
        report.worst = max(report.worst, difference)
        if not ok:
            report.mismatch.append((path, index, e, a))


def _walk(committed, regenerated, path, inputs_same, report, rtol, factor):
    if isinstance(committed, dict):
        own_inputs = [k for k in committed if k in INPUT_KEYS]
        if own_inputs:
            differing = [k for k in own_inputs if committed[k] != regenerated[k]]
            report.inputs_differ.extend(f"{path}/{k}" for k in differing)
            inputs_same = not differing
        for key in committed:
            if key not in own_inputs and key not in ("generator", "hidden"):
                _walk(committed[key], regenerated[key], f"{path}/{key}", inputs_same, report, rtol, factor)
    elif isinstance(committed, list) and committed and isinstance(committed[0], dict):
        for index, (a, b) in enumerate(zip(committed, regenerated)):
            _walk(a, b, f"{path}[{index}]", inputs_same, report, rtol, factor)
    elif isinstance(committed, str):
        pass   # checked by the schema
    elif inputs_same is False:
        report.skipped += sum(1 for _ in _numbers(committed))
    else:
        _compare_numbers(committed, regenerated, path, report, rtol, factor)


def compare_file(committed_path, regenerated_path, rtol):
    with open(committed_path, encoding="utf-8") as file:
        committed_text = file.read()
    with open(regenerated_path, encoding="utf-8") as file:
        regenerated_text = file.read()
    report = Report()
    if committed_text == regenerated_text:
        return report, "identical, byte for byte"
    committed, regenerated = json.loads(committed_text), json.loads(regenerated_text)
    if not _same_schema(committed, regenerated, "", report):
        return report, "SCHEMA DIFFERS: " + "; ".join(report.schema[:5])
    factor = STATISTICAL.get(os.path.basename(committed_path))
    _walk(committed, regenerated, "", None, report, rtol, factor)
    if report.mismatch:
        lines = [f"{p}[{i}]: committed {e!r}, regenerated {a!r}" for p, i, e, a in report.mismatch[:5]]
        return report, f"NUMBERS DIFFER ({len(report.mismatch)} of {report.compared}): " + "; ".join(lines)
    if factor is not None:
        return report, f"same schema; statistical: all {report.compared} values within {factor:g}x"
    summary = (f"same schema; {report.compared} numbers from the same inputs agree "
               f"(largest relative difference {report.worst:.1e})")
    if report.inputs_differ:
        summary += (f"; {len(report.inputs_differ)} input fields differ (random draws), so {report.skipped} "
                    f"numbers that follow from them were not compared: "
                    + ", ".join(report.inputs_differ[:6]) + (" ..." if len(report.inputs_differ) > 6 else ""))
    return report, summary


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("regenerated", help="folder written by generate.py")
    parser.add_argument("--against", default=os.path.dirname(here), help="committed folder (default: tests/reference)")
    parser.add_argument("--rtol", type=float, default=1e-6)
    arguments = parser.parse_args()

    failed = False
    committed_names = sorted(n for n in os.listdir(arguments.against) if n.endswith(".json"))
    regenerated_names = set(n for n in os.listdir(arguments.regenerated) if n.endswith(".json"))
    for name in committed_names:
        if name not in regenerated_names:
            print(f"{name}: not in {arguments.regenerated} (not regenerated, not compared)")
            continue
        report, summary = compare_file(os.path.join(arguments.against, name),
                                       os.path.join(arguments.regenerated, name), arguments.rtol)
        failed |= bool(report.schema or report.mismatch)
        print(f"{name}: {summary}")
    for name in sorted(regenerated_names - set(committed_names)):
        print(f"{name}: new, no committed file to compare with")
    if not regenerated_names & set(committed_names):
        print(f"no file of {arguments.against} is in {arguments.regenerated}")
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
