#!/usr/bin/env python3
"""Renders a rapport_bench JSON result as the Markdown tables of docs/performance.md.

    python3 bench/markdown.py bench/results/latest.json > /tmp/tables.md

One table per data size (every workload and system: closed-loop throughput,
open-loop latency, CPU per operation, peak memory, ratios, background load),
one load/disk table per size, and the targets with their measured values.
Nothing is computed here that the JSON does not hold; it only formats.
"""
import json
import sys

SYSTEMS = [("rapport", "**Rapport**"), ("b0_echo", "B0 echo"), ("b1_rocksdb", "B1 RocksDB"),
           ("b2_postgres", "B2 PG"), ("b3_grpc_postgres", "B3 gRPC+PG")]


def num(value, digits=0):
    if value is None:
        return ""
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def ms(value):
    if value is None:
        return ""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def background_percent(run, cores):
    if not run or not run.get("seconds"):
        return ""
    return f"{100 * run.get('other_processes_cpu_s', 0) / (run['seconds'] * cores):.0f}"


def size_tables(size, cores):
    out = [f"#### {size['label']} customers ({size['interactions']:,} interactions, "
           f"{size['opportunities']:,} opportunities)", ""]
    out.append("| Workload | System | Throughput | p50 ms | p99 ms | p99.9 ms | Server CPU µs/op "
               "| Client CPU µs/op | Peak MiB | Rapport/B0 | Rapport/B1 | Rapport/B2 | Rapport/B3 "
               "| p99 Rapport/B3 | bg% |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
               "| ---: | ---: | ---: |")
    for w in size["workloads"]:
        rate = w.get("open_loop_rate") or 0
        first = True
        for key, label in SYSTEMS:
            r = w["results"].get(key)
            if not r:
                continue
            closed, opened = r.get("closed", {}), r.get("open", {})
            scale = 1000 if "1000" in w.get("unit", "") else 1
            throughput = closed.get("throughput_ops", 0) * scale
            cpu = closed.get("server_cpu_us_per_op")
            cli = closed.get("client_cpu_us_per_op")
            if cpu is not None:
                cpu /= scale
            if cli is not None:
                cli /= scale
            ratios = w.get("ratios", {}) if key == "rapport" else {}
            name = ""
            if first:
                per = " calls" if "1000" in w.get("unit", "") else ""
                name = f"{w['label']} (at {num(rate, 1 if rate < 100 else 0)}{per}/s)"
                first = False
            out.append("| " + " | ".join([
                name, label, num(throughput), ms(opened.get("latency_p50_ms")),
                ms(opened.get("latency_p99_ms")), ms(opened.get("latency_p999_ms")), num(cpu),
                num(cli), num((r.get("peak_memory_bytes") or 0) / 2**20),
                num(ratios.get("throughput_rapport_over_b0_echo"), 2),
                num(ratios.get("throughput_rapport_over_b1_rocksdb"), 2),
                num(ratios.get("throughput_rapport_over_b2_postgres"), 2),
                num(ratios.get("throughput_rapport_over_b3_grpc_postgres"), 2),
                num(ratios.get("p99_rapport_over_b3_grpc_postgres"), 2),
                background_percent(closed, cores)]) + " |")
    out.append("")
    out.append("| System | Load time s | Load records/s | Peak MiB during load | Disk bytes/record | incl. WAL |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for key, label in SYSTEMS:
        s = size["systems"].get(key)
        if not s or "load" not in s:
            continue
        load, disk = s["load"], s.get("disk", {})
        out.append(f"| {label} | {load['seconds']:.1f} | {num(load['records_per_second'])} | "
                   f"{num(load.get('peak_memory_bytes', 0) / 2**20)} | "
                   f"{num(disk.get('bytes_per_record'))} | {num(disk.get('bytes_per_record_incl_wal'))} |")
    out.append("")
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench/markdown.py RESULT.json")
    with open(sys.argv[1]) as f:
        result = json.load(f)
    cores = int(result["machine"].get("hardware_threads", 2))
    lines = [f"Run `{result['command']}` at {result['timestamp']}, commit "
             f"{result['versions'].get('git_commit', '?')[:7]}.", ""]
    for size in result["sizes"]:
        lines += size_tables(size, cores)
    lines.append("| Target | Measured | Status |")
    lines.append("| --- | --- | --- |")
    for t in result.get("targets", []):
        note = f" ({t['note']})" if t.get("note") else ""
        lines.append(f"| {t['target']} | {t.get('measured', '')}{note} | {t['status']} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
