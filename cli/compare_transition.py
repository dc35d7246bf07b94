"""`python main.py compare-transition --source CLIP[:F] --target CLIP[:F] [--length N] [--style S] [--seed S]
--against max|max-mojo [--report BASE] [--json]`: the Compare panel's torch-vs-MAX run of one transition, with
its export (BASE.json: the whole report; BASE.csv: per frame errors of both modes and both latencies)."""
from __future__ import annotations

from cli import UserError, print_json, stdout_to_stderr
from cli.transition import add_request_arguments, build_request, load_model
from inference.backends.base import MAX_BACKENDS


def add_arguments(parser) -> None:
    add_request_arguments(parser)
    parser.add_argument("--against", choices=MAX_BACKENDS, default="max-mojo",
                        help="the backend compared with the torch reference (default max-mojo)")
    parser.add_argument("--report", metavar="BASE", help="write BASE.json and BASE.csv")
    parser.add_argument("--json", action="store_true", help="print one JSON object (the table's rows)")


def run(args) -> int:
    from dataclasses import asdict

    from inference.backends.base import BackendNotReady
    from inference.rsmt.transition import TransitionError
    from inference.weights import WeightsError
    from parity.compare_transition import compare_transition
    from parity.transition_report import write_transition_report

    try:
        model = load_model(args)
        request = build_request(args, model)
        with stdout_to_stderr():
            report = compare_transition(request, model, args.against)
    except (BackendNotReady, WeightsError, TransitionError) as e:
        raise UserError(str(e)) from None
    paths = write_transition_report(report, args.report) if args.report else []
    summary = {"reference": report.reference, "candidate": report.candidate, "length": report.length,
               "rows": [{k: v for k, v in asdict(r).items() if k != "detail"} for r in report.rows],
               "ms_per_frame": report.ms_per_frame, "report": [str(p) for p in paths]}
    if args.json:
        print_json(summary)
        return 0
    for r in report.rows:
        print(f"{r.model:<22} {r.output:<10} {r.mode:<15} max_abs {r.max_abs:.3g}  max_rel {r.max_rel:.3g}")
    print(", ".join(f"{name}: {ms:.2f} ms/frame" for name, ms in report.ms_per_frame.items()))
    for p in paths:
        print(f"wrote {p}")
    return 0
