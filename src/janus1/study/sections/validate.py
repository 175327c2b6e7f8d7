"""Study section: janus1's decode prediction against llama.cpp on this machine (--full).

Runs :func:`janus1.measure.validate.validate` (synthetic llama GGUFs, about 10M to 1B
parameters, F16/Q8_0/Q4_0, one thread and all threads) on the machine measured as a
device with its llama.cpp engine terms. Every figure it produces is a measurement of this
machine, so the rows go to ``timings.json`` and the report, not to a CSV. The default run
skips it (about 15 minutes on 2 cores); ``janus1 study --full`` or ``--only validate
--full`` runs it.
"""

from __future__ import annotations

from .. import Claim, Section, SectionOutput, StudyContext

__all__ = ["SECTION"]

# the anchors' published error against real hardware: LLMCompass 4.1% average end-to-end,
# GenZ 5.82% geomean (shared/reference/ANCHORS.md), LLMServingSim 1.9% (as issue 20 quotes it)
ANCHORS = {"LLMCompass": 0.041, "GenZ": 0.0582, "LLMServingSim": 0.019}
TARGET = 0.15  # the bound on the decode MAPE (models of >= 100M parameters)


def run(ctx: StudyContext) -> SectionOutput:
    if not ctx.full:
        return SectionOutput(markdown="Not run in the default study (about 15 minutes on 2 "
                                      "cores): `janus1 study --full` or `janus1 validate`.",
                             resolved={"run": False})
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return SectionOutput(markdown="not run: install llama-cpp-python (janus1[compare]).",
                             resolved={"run": False})
    from ...measure.engine import calibrate_engine
    from ...measure.figures import validation_figure
    from ...measure.host import cpu_count, measure_host
    from ...measure.validate import validate

    devices = {}
    for label, n in (("one_thread", 1), ("all_threads", cpu_count())):
        if label == "all_threads" and n == 1:
            break
        ctx.progress(f"measuring the machine at {n} thread(s)")
        devices[label] = calibrate_engine(measure_host(n), progress=ctx.progress)
    res = validate(devices, seed=ctx.seed, progress=ctx.progress)
    fig = validation_figure(res, ctx.out_dir / "validate.png")

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    lines = ["llama.cpp (llama-cpp-python) timed on synthetic llama GGUFs with random weights, "
             "against `janus1 analyze` on this machine measured as a device (`janus1 device "
             "measure --engine llama.cpp`). Errors are (predicted - measured) / measured "
             "tokens/s; the headline is the decode MAPE over the models of at least 100M "
             "parameters.", "",
             "| threads | decode MAPE | prefill MAPE | small models' decode error | roofline "
             "without engine terms |", "|---|---|---|---|---|"]
    for lbl in res.labels:
        lines.append(f"| {lbl.replace('_', ' ')} | {pct(res.decode_mape[lbl])} | "
                     f"{pct(res.prefill_mape[lbl])} | {pct(res.small_models_decode_error[lbl])} "
                     f"| {pct(res.roofline_only_mape[lbl])} |")
    lines += ["", "| model | format | threads | decode measured | predicted | error | bound |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {r.model} | {r.format} | {r.threads} | {r.measured_decode_tokens_per_s:.1f} | "
              f"{r.predicted_decode_tokens_per_s:.1f} | {r.decode_error:+.1%} | {r.decode_bound} |"
              for r in res.rows]
    lines += ["", f"![predicted vs measured]({ctx.rel(fig)})", ""]
    lines += [f"- {n}" for n in res.notes]
    claims = []
    for lbl in res.labels:
        m = res.decode_mape[lbl]
        if m is None:
            continue
        claims.append(Claim(
            seed="janus1", claim=f"decode tokens/s within {TARGET:.0%} MAPE of llama.cpp "
            f"({lbl.replace('_', ' ')}, models >= 100M)", claimed=f"<= {TARGET:.0%}",
            measured=f"{m:.1%}", verdict="holds" if m <= TARGET else "refuted", timed=True,
            note="anchors: " + ", ".join(f"{k} {v:.1%}" for k, v in ANCHORS.items())))
    return SectionOutput(markdown="\n".join(lines), claims=claims, resolved={"run": True},
                         timings={"validate": res.to_dict()})


SECTION = Section(name="validate", title="Predictions checked against this machine (llama.cpp)",
                  order=60, run=run, budget_s=900.0)
