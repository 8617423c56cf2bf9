#!/usr/bin/env python3
"""Draws the populate throughput and the agent's peak memory against the size of the company
from the benchmark's JSON (bench/results/latest.json) into a PNG."""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src, dst):
    with open(src, encoding="utf-8") as f:
        r = json.load(f)
    runs = sorted(r.get("populate", []), key=lambda p: p["records"])
    if not runs:
        print(f"plot: no populate runs in {src}", file=sys.stderr)
        return 1
    sizes = [p["records"] for p in runs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(sizes, [p["records_per_sec"] for p in runs], "o-", label="qbsync populate (customers, items, invoices)")
    left.plot(sizes, [p["customer_rows_per_sec"] for p in runs], "s-", label="qbsync populate, customers alone")
    left.plot(sizes, [p["copy_rows_per_sec"] for p in runs], "^--", label="bare COPY of the same customer rows")
    peer = [(p["records"], p["peer"]["rows_per_sec"]) for p in runs if p.get("peer")]
    if peer:
        left.plot([s for s, _ in peer], [v for _, v in peer], "x-", label="tap-quickbooks 2.5.0 (peer, read only)")
    left.set_xscale("log")
    left.set_xlabel("records in the company")
    left.set_ylabel("records per second")
    left.set_title("Populate throughput")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    right.plot(sizes, [p["agent_peak_rss_mib"] for p in runs], "o-", label="populate (three entities)")
    right.plot(sizes, [p["customer_agent_peak_rss_mib"] for p in runs], "s-", label="customers alone")
    right.set_xscale("log")
    right.set_ylim(bottom=0)
    right.set_xlabel("records in the company")
    right.set_ylabel("MiB")
    right.set_title("Agent peak resident memory (VmHWM)")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8)
    m = r.get("machine", {})
    fig.suptitle(f"qbsync on {m.get('cpus', '?')} CPUs, {m.get('date', '')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print(f"plot: wrote {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
