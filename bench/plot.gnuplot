# bench/plot.gnuplot: the suite's chart, from the TSV that rapport_bench writes
# (one block per data size; columns: workload, throughput per system, p99 per
# system; "-" where a system did not run).
#
#   gnuplot -e "datafile='bench/results/latest.tsv'; outfile='bench/results/latest.png'" bench/plot.gnuplot
#
# Left: throughput (closed loop; bulk import in customers/s). Right: p99
# latency in the open-loop run (every system at the same offered rate).
# Both on log scales.
if (!exists("datafile")) datafile = 'bench/results/latest.tsv'
if (!exists("outfile")) outfile = 'bench/results/latest.png'

set datafile separator "\t"
set datafile missing "-"
sizes = system("grep '^#size' '".datafile."' | cut -f2 | tr '\\n' ' '")
n = words(sizes)

set terminal pngcairo size 1600, 520 * n font "DejaVu Sans,10"
set output outfile
set multiplot layout n, 2 title "Rapport benchmark suite (bench/run): rapportd vs B0 gRPC echo, B1 RocksDB in-process, B2 PostgreSQL 15, B3 gRPC service on PostgreSQL"

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set logscale y
set grid ytics
set xtics rotate by -25 nomirror scale 0
set key top left horizontal font ",9"
set bmargin 6
colors = "#1f77b4 #d62728 #2ca02c #7f7f7f #ff7f0e"

do for [b = 0:n-1] {
  set title sprintf("%s customers: throughput (ops/s, import customers/s; closed loop)", word(sizes, b + 1))
  set ylabel "ops/s (log)"
  plot for [c = 2:6] datafile index b using c:xtic(1) title columnheader(c) lc rgb word(colors, c - 1)
  set title sprintf("%s customers: p99 latency (ms; open loop, same rate for all)", word(sizes, b + 1))
  set ylabel "p99 ms (log)"
  plot for [c = 7:11] datafile index b using c:xtic(1) title columnheader(c) lc rgb word(colors, c - 6)
}
unset multiplot
