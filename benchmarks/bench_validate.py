"""janus1's decode prediction against llama.cpp on this machine (issue 20's target).

Run: python benchmarks/bench_validate.py [--json FILE]
Target: decode tokens/s predicted within 15% mean absolute percentage error over the
synthetic models of at least 100M parameters, at one thread and at all threads. Measures
the machine (micro-kernels and llama.cpp engine terms), then runs `validate` on every
synthetic model and format, and prints every row. About 10 minutes on 2 quiet cores; a
busy machine spoils both the calibration and the measurements.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from janus1.measure.engine import calibrate_engine
from janus1.measure.host import cpu_count, measure_host
from janus1.measure.validate import HEADLINE_MIN_PARAMS, validate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", default=None, help="also write the whole result here")
    args = ap.parse_args()
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        print(f"  {msg}", file=sys.stderr, flush=True)

    devices = {}
    for label, n in (("one_thread", 1), ("all_threads", cpu_count())):
        if label == "all_threads" and n == 1:
            break
        devices[label] = calibrate_engine(measure_host(n), progress=say)
    res = validate(devices, progress=say)
    print(f"{'model':11s} {'format':6s} {'thr':>3s} {'decode meas':>12s} {'pred':>9s} "
          f"{'error':>7s} {'no engine':>9s} {'prefill meas':>13s} {'pred':>9s} {'error':>7s}")
    for r in res.rows:
        star = "" if r.params >= HEADLINE_MIN_PARAMS else "  (small)"
        print(f"{r.model:11s} {r.format:6s} {r.threads:3d} {r.measured_decode_tokens_per_s:12.1f} "
              f"{r.predicted_decode_tokens_per_s:9.1f} {r.decode_error:+7.1%} "
              f"{r.roofline_only_error:+9.1%} {r.measured_prefill_tokens_per_s:13.1f} "
              f"{r.predicted_prefill_tokens_per_s:9.1f} {r.prefill_error:+7.1%}{star}")
    for lbl in res.labels:
        m = res.decode_mape[lbl]
        print(f"{lbl}: decode MAPE over >= 100M params {m:.1%} (target <= 15%: "
              f"{'met' if m is not None and m <= 0.15 else 'not met'}); prefill "
              f"{res.prefill_mape[lbl]:.1%}; small models {res.small_models_decode_error[lbl]:.1%}; "
              f"without engine terms {res.roofline_only_mape[lbl]:.1%}")
    print(f"total {time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(res.to_dict(), fh, indent=1)


if __name__ == "__main__":
    main()
